"""Feed dates in eight languages and on 12-hour clocks: what they mean, and whether they named
their zone. Every expectation is worked out here with datetime, not by the code under test."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from conftest import shared_path
from newsmirror.parse.dates import DateReading, read_date, to_ms


def ms(*fields: int, offset_minutes: int = 0) -> int:
    """Epoch ms of a wall-clock time `offset_minutes` ahead of UTC, by datetime."""
    zone = timezone(timedelta(minutes=offset_minutes))
    return (datetime(*fields, tzinfo=zone) - datetime(1970, 1, 1, tzinfo=UTC)) // timedelta(
        milliseconds=1
    )


# Month names per language, January first: full names, then abbreviations people print.
MONTHS = {
    "en": (
        "January February March April May June July August September October November December",
        "Jan Feb Mar Apr May Jun Jul Aug Sep Oct Nov Dec",
    ),
    "fr": (
        "janvier février mars avril mai juin juillet août septembre octobre novembre décembre",
        "janv févr mars avr mai juin juil août sept oct nov déc",
    ),
    "de": (
        "Januar Februar März April Mai Juni Juli August September Oktober November Dezember",
        "Jan Feb Mär Apr Mai Jun Jul Aug Sep Okt Nov Dez",
    ),
    "es": (
        "enero febrero marzo abril mayo junio julio agosto septiembre octubre noviembre diciembre",
        "ene feb mar abr may jun jul ago sep oct nov dic",
    ),
    "pt": (
        "janeiro fevereiro março abril maio junho julho agosto setembro outubro novembro dezembro",
        "jan fev mar abr mai jun jul ago set out nov dez",
    ),
    "it": (
        "gennaio febbraio marzo aprile maggio giugno luglio agosto settembre ottobre novembre "
        "dicembre",
        "gen feb mar apr mag giu lug ago set ott nov dic",
    ),
    "nl": (
        "januari februari maart april mei juni juli augustus september oktober november december",
        "jan feb mrt apr mei jun jul aug sep okt nov dec",
    ),
    "ru": (  # genitive, as in "16 декабря"
        "января февраля марта апреля мая июня июля августа сентября октября ноября декабря",
        "янв фев мар апр мая июн июл авг сен окт ноя дек",
    ),
}
RUSSIAN_NOMINATIVE = (
    "январь февраль март апрель май июнь июль август сентябрь октябрь ноябрь декабрь"
)
OTHER_ABBREVIATIONS = {  # month: further spellings seen in feeds, accents dropped included
    1: "jän jänner jan. janv. JANV",
    2: "fevrier fevr. févr. fevereiro feber февр.",
    3: "marco Marz mrz maerz mär.",
    4: "avr. abr.",
    5: "Mai. mayo MAIO май",
    6: "juin Juni junho giu. июнь",
    7: "juil. juillet JULI julho lug. июль",
    8: "aout août aou aug. ago. авг.",
    9: "sept. Sept setiembre сен. сент. СЕНТЯБРЯ",
    10: "oct. okt. out. ott. окт.",
    11: "nov. нояб. ноя.",
    12: "decembre déc. dez. dic. дек.",
}
WEEKDAYS = {  # Monday first: full names and abbreviations
    "en": (
        "Monday Tuesday Wednesday Thursday Friday Saturday Sunday",
        "Mon Tue Wed Thu Fri Sat Sun",
    ),
    "fr": ("lundi mardi mercredi jeudi vendredi samedi dimanche", "lun mar mer jeu ven sam dim"),
    "de": ("Montag Dienstag Mittwoch Donnerstag Freitag Samstag Sonntag", "Mo Di Mi Do Fr Sa So"),
    "es": ("lunes martes miércoles jueves viernes sábado domingo", "lun mar mié jue vie sáb dom"),
    "pt": (
        "segunda-feira terça-feira quarta-feira quinta-feira sexta-feira sábado domingo",
        "Seg Ter Qua Qui Sex Sáb Dom",
    ),
    "it": (
        "lunedì martedì mercoledì giovedì venerdì sabato domenica",
        "lun mar mer gio ven sab dom",
    ),
    "nl": ("maandag dinsdag woensdag donderdag vrijdag zaterdag zondag", "ma di wo do vr za zo"),
    "ru": (
        "понедельник вторник среда четверг пятница суббота воскресенье",
        "пн вт ср чт пт сб вс",
    ),
}
LANGS = sorted(MONTHS)


def names(lang: str, full: bool) -> list[str]:
    return MONTHS[lang][0 if full else 1].split()


def weekday(lang: str, when: datetime, full: bool) -> str:
    return WEEKDAYS[lang][0 if full else 1].split()[when.weekday()]


# --- the two real-feed strings ------------------------------------------------------------


def test_portuguese_rfc822_from_a_real_feed():
    reading = read_date("Seg, 24 Set 2018 19:42:40 -0300")
    assert reading == DateReading(ms(2018, 9, 24, 19, 42, 40, offset_minutes=-180), True)
    assert to_ms("Seg, 24 Set 2018 19:42:40 -0300") == 1537828960000


def test_month_first_with_a_12_hour_clock_from_a_real_feed():
    reading = read_date("Sat, Dec 16 2023 02:02:33 PM")
    assert reading == DateReading(ms(2023, 12, 16, 14, 2, 33), False)  # PM is no zone
    assert reading.ms == 1702735353000


# --- layouts and zones -------------------------------------------------------------------

T = (2023, 12, 16, 14, 2)


@pytest.mark.parametrize(
    ("text", "expected", "zoned"),
    [
        ("16 décembre 2023 14:02", ms(*T), False),
        ("16 decembre 2023 à 14h02", ms(*T), False),
        ("samedi 16 déc. 2023 14:02:00 +0100", ms(*T, offset_minutes=60), True),
        ("16. Dezember 2023, 14:02 Uhr", ms(*T), False),
        ("Sa, 16. Dez. 2023 14:02:00 +0100", ms(*T, offset_minutes=60), True),
        ("16 de diciembre de 2023 14:02", ms(*T), False),
        ("sábado, 16 de diciembre de 2023 a las 14:02", ms(*T), False),
        ("16 de diciembre de 2023, 14:02 hs", ms(*T), False),  # "hs" is hours, not a zone
        ("Sáb, 16 Dez 2023 14:02:00 -0300", ms(*T, offset_minutes=-180), True),
        ("16 de dezembro de 2023 às 14h02", ms(*T), False),
        ("16 dicembre 2023 ore 14:02", ms(*T), False),
        ("sab, 16 dic 2023 14:02:00 +0100", ms(*T, offset_minutes=60), True),
        ("zaterdag 16 december 2023 om 14:02", ms(*T), False),
        ("za 16 dec. 2023 14:02:00 +0100", ms(*T, offset_minutes=60), True),
        ("16 декабря 2023 г., 14:02", ms(*T), False),
        ("суббота, 16 декабря 2023 года в 14:02", ms(*T), False),
        ("Сб, 16 дек 2023 14:02:00 +0300", ms(*T, offset_minutes=180), True),
        ("16 декабря 2023 14:02 МСК", ms(*T, offset_minutes=180), True),
        ("Dec 16, 2023 2:02 pm EST", ms(*T, offset_minutes=-300), True),
        ("December 16, 2023 at 2:02 PM", ms(*T), False),
        ("December 16th, 2023", ms(2023, 12, 16), False),
        ("Sat, 16 Dec 2023 14:02", ms(*T), False),
        ("Sat, 16 Dec 2023 14:02 Z", ms(*T), True),
        ("Sat, 16 Dec 2023 14:02 UTC", ms(*T), True),
        ("Sat, 16 Dec 2023 14:02:00 CST", ms(*T, offset_minutes=480), True),
        ("Sat, 16 Dec 2023 14:02:00 XYZ", ms(*T), True),  # unknown zone names are UTC
        (
            "Sat Dec 16 2023 14:02:00 GMT+0100 (Mitteleuropäische Normalzeit)",
            ms(*T, 0, offset_minutes=60),
            True,
        ),
        ("2023-12-16T14:02:00Z", ms(*T), True),
        ("2023-12-16T14:02:00+05:30", ms(*T, offset_minutes=330), True),
        ("2023-12-16 14:02", ms(*T), False),
        ("2023-12-16", ms(2023, 12, 16), False),
        ("2023-12-16 02:02:00 PM", ms(*T), False),
        ("2023-12-16T02:02 pm +0800", ms(*T, offset_minutes=480), True),
        ("2023年12月16日 14:02", ms(*T), False),
        ("2023年12月16日 下午2:02", ms(*T), False),
        ("2023年12月16日 14:02 +0800", ms(*T, offset_minutes=480), True),
        ("2023/12/16 02:02 PM", ms(*T), False),
        ("1702735320", ms(*T), True),
        ("1702735320000", ms(*T), True),
    ],
)
def test_layouts_read_with_the_right_zone(text: str, expected: int, zoned: bool):
    assert read_date(text) == DateReading(expected, zoned)
    assert to_ms(text) == expected


@pytest.mark.parametrize(
    "text", ["", "   ", None, "soon", "Sat, 31 Feb 2023 10:00", "2023-13-01", "16 Foo 2023 14:02"]
)
def test_unreadable_dates_are_none(text: str | None):
    assert read_date(text) is None and to_ms(text) is None


# --- month names ---------------------------------------------------------------------------


@pytest.mark.parametrize("lang", LANGS)
@pytest.mark.parametrize("full", [True, False], ids=["full", "abbreviated"])
def test_every_month_name_in_two_layouts(lang: str, full: bool):
    for number, name in enumerate(names(lang, full), start=1):
        day_first = f"5 {name} 2021 22:59"
        rfc822 = f"Mon, 05 {name} 2021 22:59:02 +0200"
        assert read_date(day_first) == DateReading(ms(2021, number, 5, 22, 59), False), day_first
        expected = ms(2021, number, 5, 22, 59, 2, offset_minutes=120)
        assert read_date(rfc822) == DateReading(expected, True), rfc822


@pytest.mark.parametrize(
    ("number", "name"),
    [(n, name) for n, spellings in OTHER_ABBREVIATIONS.items() for name in spellings.split()]
    + [(n, name) for n, name in enumerate(RUSSIAN_NOMINATIVE.split(), start=1)],
)
def test_other_spellings_accents_dropped_and_russian_cases(number: int, name: str):
    assert read_date(f"5 {name} 2021") == DateReading(ms(2021, number, 5), False)
    assert read_date(f"{name} 5, 2021 10:00 GMT") == DateReading(ms(2021, number, 5, 10), True)


def test_names_that_look_alike_keep_their_months():
    pairs = [("juin", 6), ("juil", 7), ("mars", 3), ("mai", 5), ("mag", 5), ("mei", 5),
             ("set", 9), ("out", 10), ("ago", 8), ("dez", 12), ("dic", 12), ("gen", 1),
             ("ene", 1), ("мая", 5), ("май", 5), ("мар", 3), ("июн", 6), ("июл", 7)]  # fmt: skip
    for name, number in pairs:
        assert read_date(f"1 {name} 2020") == DateReading(ms(2020, number, 1), False), name


@pytest.mark.parametrize("lang", LANGS)
def test_weekday_words_are_ignored_and_never_required(lang: str):
    when = datetime(2023, 12, 16, 14, 2)
    name = names(lang, full=True)[11]
    expected = DateReading(ms(*T), False)
    assert read_date(f"16 {name} 2023 14:02") == expected
    for full in (True, False):
        day = weekday(lang, when, full)
        for text in (f"{day}, 16 {name} 2023 14:02", f"{day.upper()}. 16 {name} 2023 14:02"):
            assert read_date(text) == expected, text


# --- 12-hour clocks ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("clock", "hour"),
    [("12:05 AM", 0), ("12:05 PM", 12), ("1:05 PM", 13), ("1:05 AM", 1), ("11:05 pm", 23),
     ("12:05am", 0), ("12:05pm", 12), ("1:05 p.m.", 13), ("1:05 a.m.", 1), ("1:05 P.M.", 13),
     ("1:05 p. m.", 13), ("01:05:00 PM", 13)],
)  # fmt: skip
def test_12_hour_clocks_in_every_layout(clock: str, hour: int):
    for text in (
        f"Sat, 16 Dec 2023 {clock}",
        f"Dec 16, 2023 {clock}",
        f"December 16, 2023 at {clock}",
        f"16 décembre 2023 {clock}",
        f"2023-12-16 {clock}",
        f"2023-12-16T{clock}",
        f"2023/12/16 {clock}",
    ):
        assert read_date(text) == DateReading(ms(2023, 12, 16, hour, 5), False), text
    zoned = read_date(f"Sat, 16 Dec 2023 {clock} +0100")
    assert zoned == DateReading(ms(2023, 12, 16, hour, 5, offset_minutes=60), True)
    assert read_date(f"Dec 16, 2023 {clock} EST") == DateReading(
        ms(2023, 12, 16, hour, 5, offset_minutes=-300), True
    )


def test_an_hour_alone_before_am_or_pm():
    assert read_date("Dec 16, 2023 2 PM") == DateReading(ms(2023, 12, 16, 14), False)


@pytest.mark.parametrize(
    "text",
    ["Sat, 16 Dec 2023 13:05 PM", "Sat, 16 Dec 2023 13:05:00 AM", "Dec 16, 2023 13:05 pm EST",
     "2023-12-16 13:05:00 PM", "2023年12月16日 13:05 PM", "16 décembre 2023 23:05 p.m."],
)  # fmt: skip
def test_hours_past_12_on_a_12_hour_clock_are_impossible(text: str):
    assert read_date(text) is None and to_ms(text) is None


# --- random dates in every language --------------------------------------------------------

OFFSETS = [-600, -300, -180, 0, 60, 330, 480, 585, 840]
CASES = [str.lower, str.upper, str.title, lambda s: s]


MARKERS = [("AM", "PM"), ("am", "pm"), ("a.m.", "p.m."), ("A.M.", "P.M.")]


def _layouts(lang: str, when: datetime, month: str, wd: str, marker: str) -> list[tuple[str, bool]]:
    """Texts for `when` with no zone, in layouts that language's sites print, each with
    whether it shows the seconds."""
    d, y, hh, mi, ss = when.day, when.year, when.hour, when.minute, when.second
    natural = {
        "en": f"{month} {d}, {y} at {hh % 12 or 12}:{mi:02d}:{ss:02d}{marker}",
        "fr": f"{wd} {d} {month} {y} à {hh}h{mi:02d}",
        "de": f"{wd}, {d}. {month} {y}, {hh:02d}:{mi:02d} Uhr",
        "es": f"{wd}, {d} de {month} de {y} {hh:02d}:{mi:02d}",
        "pt": f"{wd}, {d} de {month} de {y} às {hh:02d}:{mi:02d}",
        "it": f"{wd} {d} {month} {y} ore {hh:02d}:{mi:02d}",
        "nl": f"{wd} {d} {month} {y} om {hh:02d}:{mi:02d}",
        "ru": f"{wd}, {d} {month} {y} г., {hh:02d}:{mi:02d}",
    }[lang]
    return [
        (f"{wd}, {d:02d} {month} {y} {hh:02d}:{mi:02d}:{ss:02d}", True),
        (f"{d} {month} {y} {hh:02d}:{mi:02d}:{ss:02d}", True),
        (natural, lang == "en"),
    ]


@given(
    lang=st.sampled_from(LANGS),
    when=st.datetimes(min_value=datetime(1990, 1, 1), max_value=datetime(2035, 12, 31, 23, 59)),
    full=st.booleans(),
    dot=st.booleans(),
    case=st.sampled_from(CASES),
    offset=st.sampled_from([None, *OFFSETS]),
    markers=st.sampled_from(MARKERS),
    space=st.sampled_from(["", " "]),
)
def test_random_dates_in_every_language(lang, when, full, dot, case, offset, markers, space):
    when = when.replace(microsecond=0)
    marker = space + markers[when.hour >= 12]
    month = case(names(lang, full)[when.month - 1])
    if dot and not full:
        month += "."
    wd = case(weekday(lang, when, full))
    zone = ""
    if offset is not None:
        sign = "-" if offset < 0 else "+"
        zone = f" {sign}{abs(offset) // 60:02d}{abs(offset) % 60:02d}" if offset else " GMT"
    for text, with_seconds in _layouts(lang, when, month, wd, marker):
        seconds = when.second if with_seconds else 0
        fields = (when.year, when.month, when.day, when.hour, when.minute, seconds)
        text += zone
        expected = DateReading(ms(*fields, offset_minutes=offset or 0), offset is not None)
        assert read_date(text) == expected, text
        assert to_ms(text) == expected.ms


# --- the real corpus -----------------------------------------------------------------------

DATE_TAG = re.compile(
    r"<(pubDate|dc:date|published|updated)>\s*(?:<!\[CDATA\[)?\s*([^<\]]*?)\s*(?:\]\]>)?\s*</\1>"
)


def _corpus_dates(path: Path) -> list[str]:
    data = path.read_bytes()
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:  # Latin-1 and other single-byte feeds: dates are ASCII anyway
        text = data.decode("latin-1")
    return [m.group(2) for m in DATE_TAG.finditer(text) if m.group(2)]


def test_real_feed_dates_read():
    root = shared_path("corpus", "feeds", "real")
    texts = [t for path in sorted(root.rglob("*.xml")) for t in _corpus_dates(path)]
    assert len(texts) > 1000
    readings = [read_date(t) for t in texts]
    unread = sorted({t for t, r in zip(texts, readings, strict=True) if r is None})
    read = sum(r is not None for r in readings)
    assert read / len(texts) >= 0.99, f"{len(texts) - read} of {len(texts)} unread: {unread}"
    assert [to_ms(t) for t in texts] == [r.ms if r else None for r in readings]


def test_latin1_portuguese_feed_dates_all_read():
    path = shared_path("corpus", "feeds", "real", "intl", "uol-noticias_latin1_no-decl_TRICKY.xml")
    texts = [m.group(2) for m in DATE_TAG.finditer(path.read_bytes().decode("latin-1"))]
    assert texts
    unread = [t for t in texts if read_date(t) is None]
    assert not unread, unread
    form = re.compile(r"Seg, (\d\d) Set 2018 (\d\d):(\d\d):(\d\d) -0300")  # Brazil, a Monday
    for text in texts:
        match = form.fullmatch(text)
        assert match, text
        day, hh, mi, ss = map(int, match.groups())
        expected = ms(2018, 9, day, hh, mi, ss, offset_minutes=-180)
        assert read_date(text) == DateReading(expected, True)
