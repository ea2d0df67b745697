from newsmirror.clean.urls import link_key, normalize_url


def test_whatwg_normalisation_as_the_old_system_did():
    assert normalize_url("HTTPS://WWW.Example.COM") == "https://www.example.com/"
    assert normalize_url(" https://a.org/x ") == "https://a.org/x"
    assert (
        normalize_url("https://www.dw.com/zh/客座评论： 自由/a-1")
        == "https://www.dw.com/zh/%E5%AE%A2%E5%BA%A7%E8%AF%84%E8%AE%BA%EF%BC%9A%20%E8%87%AA%E7%94%B1/a-1"
    )


def test_relative_links_resolve_against_a_base():
    assert normalize_url("../b", "https://a.org/x/y/z") == "https://a.org/x/b"
    assert normalize_url("/n", "https://a.org/x/") == "https://a.org/n"


def test_not_a_url_is_none():
    assert normalize_url("not a url") is None
    assert normalize_url("") is None
    assert normalize_url("http://[bad") is None


def test_link_key_ignores_fragment_tracking_and_scheme():
    a = link_key("http://a.org/p?id=3&utm_source=rss#top")
    assert a == link_key("https://a.org/p?id=3")
    assert link_key("https://a.org/p?id=3") != link_key("https://a.org/p?id=4")
    assert link_key("https://a.org/p?b=2&a=1") == "https://a.org/p?b=2&a=1"
