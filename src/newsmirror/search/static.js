// The static site's search (the index `newsmirror site` writes under search/; its format is
// described in newsmirror/search/static.py). No library, no WebAssembly: a query reads the
// shard of each of its keys, newest range first, and the few articles it shows.
(function () {
  "use strict";
  var CJK = "\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af\uf900-\ufaff";
  var RUNS = new RegExp("([" + CJK + "]+)|((?:(?![" + CJK + "])[\\p{L}\\p{N}])+)", "gu");
  var PARTS = /"([^"]*)"|(\S+)/g;
  var PAGE = 20;
  var about = null, folding = null;
  var shards = new Map(), docs = new Map();

  function getJSON(path) {
    return fetch(path).then(function (r) {
      if (!r.ok) { throw new Error(path + ": " + r.status); }
      return r.json();
    });
  }

  var CRC = (function () {
    var table = new Uint32Array(256);
    for (var n = 0; n < 256; n++) {
      var c = n;
      for (var k = 0; k < 8; k++) { c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1; }
      table[n] = c >>> 0;
    }
    return table;
  })();

  function crc32(text) {
    var bytes = new TextEncoder().encode(text), c = 0xffffffff;
    for (var i = 0; i < bytes.length; i++) { c = CRC[(c ^ bytes[i]) & 0xff] ^ (c >>> 8); }
    return (c ^ 0xffffffff) >>> 0;
  }

  function fold(text) {
    var out = "";
    for (var ch of text) { out += folding[ch] || ch; }
    return out.toLowerCase();
  }

  function isCJK(token) { return token >= "\u3040"; }

  // The tokens of a text, as search/text.py makes them: CJK runs as their pairs (a lone
  // character stands for itself), other words whole.
  function runs(text) {
    var found = [], m;
    RUNS.lastIndex = 0;
    while ((m = RUNS.exec(text)) !== null) { found.push(m[1] || m[2]); }
    return found;
  }

  function pairs(run) {
    if (run.length < 2) { return [run]; }
    var out = [];
    for (var i = 0; i + 1 < run.length; i++) { out.push(run.slice(i, i + 2)); }
    return out;
  }

  // A query as parts: each is a list of tokens that must all be there, the last maybe a
  // prefix (a bare Latin word, or one character), and the folded words shown and checked.
  function parse(query) {
    var parts = [], terms = [], m;
    PARTS.lastIndex = 0;
    while ((m = PARTS.exec(query)) !== null) {
      var quoted = m[1] !== undefined, words = runs(fold(quoted ? m[1] : m[2]));
      if (!words.length) { continue; }
      var tokens = [];
      words.forEach(function (w) { tokens = tokens.concat(isCJK(w) ? pairs(w) : [w]); });
      var single = tokens.length === 1;
      var prefix = single && (!isCJK(tokens[0]) ? !quoted : tokens[0].length === 1);
      parts.push({ tokens: tokens, prefix: prefix, words: words });
      terms = terms.concat(words);
    }
    return { parts: parts, terms: terms.filter(function (t, i) { return terms.indexOf(t) === i; }) };
  }

  function key(token) { return isCJK(token) ? token.slice(0, 1) : token.slice(0, 2); }

  function shard(range, token) {
    var name = "search/r/" + range + "/" + (crc32(key(token)) % about.shards) + ".bin";
    if (!shards.has(name)) {
      shards.set(name, fetch(name).then(function (r) {
        if (!r.ok) { throw new Error(name + ": " + r.status); }
        return r.arrayBuffer();
      }).then(function (buffer) {
        var size = new DataView(buffer).getUint32(0, true);
        var header = JSON.parse(new TextDecoder().decode(new Uint8Array(buffer, 4, size)));
        var numbers = new Uint16Array(buffer, 4 + size), lists = new Map(), at = 0;
        header.forEach(function (entry) {
          lists.set(entry[0], numbers.subarray(at, at + entry[1]));
          at += entry[1];
        });
        return lists;
      }));
    }
    return shards.get(name);
  }

  function intersect(a, b) {
    var out = [], i = 0, j = 0;
    while (i < a.length && j < b.length) {
      if (a[i] === b[j]) { out.push(a[i]); i++; j++; } else if (a[i] < b[j]) { i++; } else { j++; }
    }
    return out;
  }

  function union(lists) {
    var seen = new Set();
    lists.forEach(function (list) { list.forEach(function (n) { seen.add(n); }); });
    return Array.from(seen).sort(function (x, y) { return x - y; });
  }

  // The numbers (in this range, ascending) of articles holding every token of every part.
  function candidates(range, parts) {
    var wanted = [];
    parts.forEach(function (p) { p.tokens.forEach(function (t) { wanted.push(shard(range, t)); }); });
    return Promise.all(wanted).then(function (loaded) {
      var result = null, at = 0;
      parts.forEach(function (p) {
        p.tokens.forEach(function (token) {
          var lists = loaded[at++], list;
          if (p.prefix) {
            var matching = [];
            lists.forEach(function (numbers, name) {
              if (name.slice(0, token.length) === token) { matching.push(numbers); }
            });
            list = union(matching);
          } else {
            list = Array.from(lists.get(token) || []);
          }
          result = result === null ? list : intersect(result, list);
        });
      });
      return result || [];
    });
  }

  function doc(number) {
    if (!docs.has(number)) {
      docs.set(number, getJSON("search/d/" + Math.floor(number / 1000) + "/" + number + ".json"));
    }
    return docs.get(number);
  }

  var LETTER = /[\p{L}\p{N}]/u;

  // Every word of the query is in the article: a CJK run as written (its pairs in order), a
  // Latin word where a word starts (and ends, unless it is a prefix).
  function confirmed(d, parts) {
    var text = fold(d.t + "\n" + d.x);
    return parts.every(function (p) {
      return p.words.every(function (word) {
        if (isCJK(word)) { return text.indexOf(word) >= 0; }
        for (var at = text.indexOf(word); at >= 0; at = text.indexOf(word, at + 1)) {
          var after = text.charAt(at + word.length);
          if ((at === 0 || !LETTER.test(text.charAt(at - 1))) &&
              (p.prefix || !after || !LETTER.test(after))) { return true; }
        }
        return false;
      });
    });
  }

  // A search that reads on, range after range, as far as the page asked needs.
  function Search(query) {
    this.found = parse(query);
    this.range = Math.ceil(about.docs / about.range) - 1;
    this.waiting = [];
    this.hits = [];
  }

  Search.prototype.more = function (count) {
    var self = this;
    if (!self.found.parts.length) { return Promise.resolve(false); }
    function step() {
      if (self.hits.length >= count) { return Promise.resolve(true); }
      if (self.waiting.length) {
        var batch = self.waiting.splice(0, 8);
        return Promise.all(batch.map(doc)).then(function (loaded) {
          loaded.forEach(function (d) { if (confirmed(d, self.found.parts)) { self.hits.push(d); } });
          return step();
        });
      }
      if (self.range < 0) { return Promise.resolve(false); }
      var range = self.range--;
      return candidates(range, self.found.parts).then(function (numbers) {
        self.waiting = numbers.reverse().map(function (n) { return range * about.range + n; });
        return step();
      });
    };
    return step();
  };

  function snippet(d, terms, width) {
    var text = d.x.replace(/\s+/g, " "), folded = fold(text);
    if (folded.length !== text.length) { folded = text.toLowerCase(); }
    var spots = terms.map(function (t) { return folded.indexOf(t); }).filter(function (i) { return i >= 0; });
    var start = spots.length ? Math.max(0, Math.min.apply(null, spots) - Math.floor(width / 3)) : 0;
    var piece = text.slice(start, start + width), low = folded.slice(start, start + width);
    var out = document.createElement("div"), i = 0, plain = start ? "…" : "";
    while (i < piece.length) {
      var term = terms.find(function (t) { return t && low.startsWith(t, i); });
      if (term) {
        out.append(plain);
        plain = "";
        var mark = document.createElement("mark");
        mark.textContent = piece.slice(i, i + term.length);
        out.append(mark);
        i += term.length;
      } else {
        plain += piece[i++];
      }
    }
    out.append(plain + (start + width < text.length ? "…" : ""));
    return out;
  }

  function item(d, terms) {
    var li = document.createElement("li"), a = document.createElement("a");
    a.href = d.u;
    a.textContent = d.t;
    li.append(a);
    if (d.m) {
      var mark = document.createElement("span");
      mark.className = "mark";
      mark.textContent = " " + d.m;
      li.append(mark);
    }
    var meta = document.createElement("div");
    meta.className = "meta";
    meta.textContent = d.s + " · " + d.d;
    li.append(meta, snippet(d, terms, 60));
    return li;
  }

  function show(search, shown, status, list, button) {
    button.hidden = true;
    status.textContent = "正在搜索…";
    return search.more(shown + PAGE + 1).then(function () {
      search.hits.slice(shown, shown + PAGE).forEach(function (d) {
        list.append(item(d, search.found.terms));
      });
      var total = Math.min(search.hits.length, shown + PAGE);
      var more = search.hits.length > shown + PAGE;
      status.textContent = total ? "找到 " + total + (more ? "+" : "") + " 条结果" : "没有找到结果";
      button.hidden = !more;
      return total;
    });
  }

  function start() {
    var form = document.getElementById("static-search");
    var input = form.querySelector("input[name=q]");
    var status = document.getElementById("search-status");
    var list = document.getElementById("search-results");
    var button = document.getElementById("search-more");
    var query = new URLSearchParams(window.location.search).get("q") || "";
    input.value = query;
    if (!query.trim()) { return; }
    status.textContent = "正在搜索…";
    Promise.all([getJSON("search/index.json"), getJSON("search/fold.json")]).then(function (got) {
      about = got[0];
      folding = got[1];
      var search = new Search(query), shown = 0;
      button.addEventListener("click", function () {
        show(search, shown, status, list, button).then(function (n) { shown = n; });
      });
      return show(search, shown, status, list, button).then(function (n) { shown = n; });
    }).catch(function (error) {
      status.textContent = "搜索不可用：" + error.message;
    });
  }

  window.addEventListener("DOMContentLoaded", start);
})();
