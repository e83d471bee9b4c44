"""Benchmark and score the message reader.

Usage (from the repository root)::

    .venv/bin/python bench/bench_parse.py        # (a) in-process, (b) djbot parse --batch
    .venv/bin/python bench/bench_parse.py -n 50000 --skip-cli
    .venv/bin/python bench/bench_parse.py -n 20000 --skip-cli --typos   # cost of the typo pass
    .venv/bin/python bench/bench_parse.py --score ../shared/eval/messages-dev.jsonl \
        tests/data/messages-extra.jsonl
    PYTHONPATH=. /path/to/venv-with-cn2an-jionlp/bin/python bench/bench_parse.py --libs

The generated messages are realistic but synthetic: activity words from the taxonomy pack,
holding verbs, dates in every supported form, counts in Arabic, full-width and Chinese numerals,
participants, planned announcements, several activities per message and chat that is no record.
The generator is seeded, so runs are comparable. Results go to ``bench/RESULTS.md`` by hand.
"""

from __future__ import annotations

import argparse
import datetime as dt
import importlib
import json
import os
import random
import shutil
import statistics
import subprocess
import time
from pathlib import Path

from common import ROOT, machine  # first: puts the repository on sys.path

FIELDS = ("activity_type", "count", "participants", "occurred_on", "status")

CN_DIGITS = "零一二三四五六七八九"
VERBS = ["开展", "召开", "组织开展", "举办", "组织全体党员开展", "支部组织"]
CHAT = [
    "你好",
    "您好，在吗",
    "谢谢，收到",
    "好的",
    "收到👍",
    "辛苦了",
    "怎么导出报告？",
    "本季度的台账在哪里看",
    "明天的会几点开？",
    "今天天气不错",
]
PLANNED = ["明天上午", "下周三", "将于{md}", "拟于{md}", "计划于下周一", "后天下午"]
PAST = [
    "今天上午",
    "昨天下午",
    "前天",
    "本周一",
    "上周五",
    "{md}",
    "{ymd}",
    "{iso}",
    "{dot}",
    "{slash}",
]


def _cn(n: int) -> str:
    """A Chinese numeral for 1..99 (十四, 二十六, 两 for 2 sometimes)."""
    if n == 2 and random.random() < 0.5:
        return "两"
    if n < 10:
        return CN_DIGITS[n]
    tens, ones = divmod(n, 10)
    head = "" if tens == 1 else CN_DIGITS[tens]
    return head + "十" + (CN_DIGITS[ones] if ones else "")


def _num(n: int) -> str:
    r = random.random()
    if r < 0.55:
        return str(n)
    if r < 0.7:
        return "".join(chr(ord(c) + 0xFEE0) for c in str(n))  # full-width
    return _cn(n)


def _date_phrase(today: dt.date, options: list[str]) -> str:
    day = today - dt.timedelta(days=random.randint(1, 60))
    phrase = random.choice(options)
    return phrase.format(
        md=f"{day.month}月{day.day}日",
        ymd=f"{day.year}年{day.month}月{day.day}日",
        iso=day.isoformat(),
        dot=f"{day.month}.{day.day} ",
        slash=f"{day.month}/{day.day} ",
    )


def generate(n: int, seed: int = 20240516) -> list[dict[str, str]]:
    """``n`` JSON-ready messages ``{"text", "today"}`` of the kinds staff send."""
    from bot.domain.taxonomy import load_taxonomy

    random.seed(seed)
    tax = load_taxonomy()
    words = [(t, a) for t in tax.types for a in t.aliases]
    out = []
    for _ in range(n):
        today = dt.date(2024, 1, 1) + dt.timedelta(days=random.randint(0, 365))
        kind = random.random()
        if kind < 0.1:
            text = random.choice(CHAT)
        elif kind < 0.45:
            _t, word = random.choice(words)
            text = f"{_date_phrase(today, PAST)}{random.choice(VERBS)}{word}"
            if random.random() < 0.7:
                trigger = random.choice(["参加", "到场", "实到", "到会"])
                text += f"，{trigger}{_num(random.randint(5, 60))}人"
        elif kind < 0.6:
            _t, word = random.choice(words)
            text = f"{_date_phrase(today, PLANNED)}{random.choice(VERBS)}{word}，请准时参加"
        elif kind < 0.9:
            parts = []
            for _ in range(random.randint(1, 3)):
                t, word = random.choice(words)
                approx = random.choice(["", "", "余", "多"])
                parts.append(
                    f"{random.choice(VERBS)}{word}{_num(random.randint(2, 40))}{approx}{t.unit}"
                )
            text = "今年以来，" + "，".join(parts) + "。"
        else:
            t, word = random.choice(words)
            text = f"{_date_phrase(today, PAST)}召开支委会，研究{word}工作，应到7人实到6人"
        out.append({"text": text, "today": today.isoformat()})
    return out


# ----------------------------------------------------------------------------- (a) in-process


def bench_inprocess(messages: list[dict[str, str]]) -> dict[str, float]:
    """Read every message in this process; returns throughput and latency figures."""
    t0 = time.perf_counter()
    from bot.domain.reader import read_message
    from bot.domain.taxonomy import load_taxonomy

    import_ms = (time.perf_counter() - t0) * 1000
    t0 = time.perf_counter()
    tax = load_taxonomy()
    read_message("开展主题党日", dt.date(2024, 1, 1), tax)
    first_ms = (time.perf_counter() - t0) * 1000
    items = [(m["text"], dt.date.fromisoformat(m["today"])) for m in messages]
    records = 0
    start = time.perf_counter()
    for text, today in items:
        records += len(read_message(text, today, tax).records)
    elapsed = time.perf_counter() - start
    sample = items[:: max(1, len(items) // 5000)]
    lat = []
    for text, today in sample:
        s = time.perf_counter()
        read_message(text, today, tax)
        lat.append((time.perf_counter() - s) * 1e6)
    lat.sort()
    return {
        "messages": len(items),
        "records": records,
        "seconds": elapsed,
        "per_second": len(items) / elapsed,
        "mean_us": elapsed / len(items) * 1e6,
        "p50_us": statistics.median(lat),
        "p99_us": lat[int(len(lat) * 0.99) - 1],
        "import_ms": import_ms,
        "first_call_ms": first_ms,
    }


def bench_typos(messages: list[dict[str, str]]) -> dict[str, float]:
    """The cost of the typo (pinyin) pass: throughput with the pass as gated (only where the
    characters found nothing plausible), never, and always; and the share of messages read
    twice. Also the one-time cost of building the sound index (imports pypinyin)."""
    from bot.domain.reader import pipeline
    from bot.domain.reader.lexicon import compile_lexicon, sound_index
    from bot.domain.taxonomy import load_taxonomy

    tax = load_taxonomy()
    comp = compile_lexicon(tax)
    start = time.perf_counter()
    had_index = comp.sound is not None
    sound_index(comp)
    build_ms = (time.perf_counter() - start) * 1000
    items = [(m["text"], dt.date.fromisoformat(m["today"])) for m in messages]
    gate = pipeline._try_sound
    twice = 0

    def counting(*args: object) -> bool:
        nonlocal twice
        result = gate(*args)  # type: ignore[arg-type]
        twice += result
        return result

    out: dict[str, float] = {"index_build_ms": -1.0 if had_index else build_ms}
    for name, fn in (
        ("gated", counting),
        ("never", lambda *a: False),
        ("always", lambda *a: True),
    ):
        pipeline._try_sound = fn  # type: ignore[assignment]
        try:
            begin = time.perf_counter()
            for text, today in items:
                pipeline.read(text, today, tax)
            out[name] = len(items) / (time.perf_counter() - begin)
        finally:
            pipeline._try_sound = gate
        if name == "gated":
            out["share_read_twice"] = twice / len(items)
    return out


# ----------------------------------------------------------------------------- (b) djbot CLI


def bench_cli(messages: list[dict[str, str]], command: list[str]) -> dict[str, float]:
    """Pipe the messages through ``djbot parse --batch`` (one process, pinned to one core)."""
    payload = "".join(json.dumps(m, ensure_ascii=False) + "\n" for m in messages).encode()
    pin = ["taskset", "-c", "0"] if shutil.which("taskset") else []
    start = time.perf_counter()
    empty = subprocess.run([*pin, *command], input=b"", capture_output=True, check=True)
    startup = time.perf_counter() - start
    del empty
    start = time.perf_counter()
    done = subprocess.run([*pin, *command], input=payload, capture_output=True, check=True)
    elapsed = time.perf_counter() - start
    lines = done.stdout.decode().splitlines()
    if len(lines) != len(messages):
        raise SystemExit(f"djbot printed {len(lines)} lines for {len(messages)} messages")
    records = sum(len(json.loads(line)["records"]) for line in lines)
    return {
        "messages": len(messages),
        "records": records,
        "seconds": elapsed,
        "per_second": len(messages) / elapsed,
        "startup_s": startup,
        "per_second_after_startup": len(messages) / max(1e-9, elapsed - startup),
    }


# ----------------------------------------------------------------------------- scores


def score(path: Path) -> dict[str, float]:
    """Type precision/recall/F1 and per-field accuracy of the reader on a labelled JSONL set."""
    from bot.domain.reader import read_message

    tp = fp = fn = 0
    right = dict.fromkeys(FIELDS, 0)
    total = dict.fromkeys(FIELDS, 0)
    for line in path.read_text(encoding="utf-8").splitlines():
        if not line.strip():
            continue
        case = json.loads(line)
        got = [
            r.to_dict()
            for r in read_message(case["text"], dt.date.fromisoformat(case["today"])).records
        ]
        used: set[int] = set()
        for exp in case["expect"]:
            best, best_score = None, -1
            for i, rec in enumerate(got):
                if i not in used and rec["activity_type"] == exp["activity_type"]:
                    agree = sum(1 for f in FIELDS if f in exp and rec[f] == exp[f])
                    if agree > best_score:
                        best, best_score = i, agree
            if best is None:
                fn += 1
            else:
                used.add(best)
                tp += 1
            for field in FIELDS:
                if field in exp or field == "status":
                    total[field] += 1
                    if best is not None and got[best][field] == exp.get(field, "done"):
                        right[field] += 1
        fp += len(got) - len(used)
    p = tp / (tp + fp) if tp + fp else 1.0
    r = tp / (tp + fn) if tp + fn else 1.0
    out = {"type_precision": p, "type_recall": r, "type_f1": 2 * p * r / (p + r) if p + r else 0.0}
    out.update({f: right[f] / total[f] for f in FIELDS if total[f]})
    out.update({f"{f}_n": float(total[f]) for f in FIELDS})
    return out


# ----------------------------------------------------------------------------- libraries


NUMERAL_CASES = [
    ("三", 3), ("十四", 14), ("二十六", 26), ("两", 2), ("一百零五", 105), ("三十", 30),
    ("十", 10), ("两千零二十", 2020), ("12", 12), ("２３", 23), ("一", 1), ("九十九", 99),
]  # fmt: skip
DATE_TODAY = dt.date(2023, 4, 6)
DATE_CASES = [
    ("2026年3月15日", dt.date(2026, 3, 15)), ("3月15日", dt.date(2023, 3, 15)),
    ("2026-03-15", dt.date(2026, 3, 15)), ("3.15", dt.date(2023, 3, 15)),
    ("3/15", dt.date(2023, 3, 15)), ("今天", dt.date(2023, 4, 6)), ("昨天", dt.date(2023, 4, 5)),
    ("前天", dt.date(2023, 4, 4)), ("本周三", dt.date(2023, 4, 5)),
    ("上周五", dt.date(2023, 3, 31)), ("5月3日", dt.date(2022, 5, 3)),
    ("明天", dt.date(2023, 4, 7)),
]  # fmt: skip


def _timeit(fn: object, arg: str, n: int) -> float:
    assert callable(fn)
    start = time.perf_counter()
    for _ in range(n):
        fn(arg)
    return (time.perf_counter() - start) / n * 1e6


def _accuracy(got: int, total: int) -> str:
    return f"accuracy {got}/{total}"


def bench_libs() -> None:
    """Compare cn2an and jionlp (if importable here) with the project's own parsers."""
    from bot.domain.dates import find_dates
    from bot.domain.numerals import parse_int

    n_num, n_date = len(NUMERAL_CASES), len(DATE_CASES)
    right = sum(parse_int(s) == v for s, v in NUMERAL_CASES)
    print(
        f"own numerals: {_accuracy(right, n_num)}; "
        f"{_timeit(parse_int, '二十六', 20000):.2f} us/call"
    )
    right = 0
    for s, want in DATE_CASES:
        found = find_dates(s)
        right += bool(found) and found[0].resolve(DATE_TODAY) == want
    speed = _timeit(find_dates, "上周四召开支部委员会", 20000)
    print(f"own dates: {_accuracy(right, n_date)}; find_dates {speed:.2f} us/call")
    try:
        start = time.perf_counter()
        cn2an = importlib.import_module("cn2an")

        took = (time.perf_counter() - start) * 1000
        print(f"cn2an {getattr(cn2an, '__version__', '?')}: import {took:.1f} ms")

        def cn2an_int(s: str) -> int | None:
            try:
                return int(cn2an.cn2an(s, "smart"))
            except Exception:
                return None

        right = sum(cn2an_int(s) == v for s, v in NUMERAL_CASES)
        speed = _timeit(cn2an_int, "二十六", 20000)
        print(
            f"cn2an: {_accuracy(right, n_num)}; {speed:.2f} us/call; "
            f"三十余 -> {cn2an_int('三十余')}"
        )
    except ImportError:
        print("cn2an not installed here")
    try:
        start = time.perf_counter()
        jionlp = importlib.import_module("jionlp")

        took = (time.perf_counter() - start) * 1000
        print(f"jionlp {jionlp.__version__}: import {took:.1f} ms")
        base = time.mktime(DATE_TODAY.timetuple())

        def jio_date(s: str) -> dt.date | None:
            try:
                found = jionlp.parse_time(s, time_base=base)
                return dt.date.fromisoformat(found["time"][0][:10])
            except Exception:
                return None

        start = time.perf_counter()
        jio_date("3月15日")
        print(f"jionlp first parse_time {(time.perf_counter() - start) * 1000:.1f} ms")
        right = sum(jio_date(s) == v for s, v in DATE_CASES)
        misses = [s for s, v in DATE_CASES if jio_date(s) != v]
        speed = _timeit(jio_date, "上周四", 2000)
        print(
            f"jionlp: {_accuracy(right, n_date)} (misses {misses}); parse_time {speed:.1f} us/call"
        )
        text = "昨天下午组织支部党员到烈士陵园开展主题党日活动，参加21人"
        speed = _timeit(lambda s: jionlp.ner.extract_time(s, time_base=base), text, 200)
        print(f"jionlp ner.extract_time {speed:.1f} us/call")
    except ImportError:
        print("jionlp not installed here")


# ----------------------------------------------------------------------------- main


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("-n", type=int, default=50_000, help="messages to generate")
    parser.add_argument("--skip-cli", action="store_true", help="only the in-process benchmark")
    parser.add_argument(
        "--djbot", default=str(ROOT / ".venv" / "bin" / "djbot"), help="the djbot command"
    )
    parser.add_argument("--score", nargs="+", type=Path, help="score labelled JSONL sets instead")
    parser.add_argument("--libs", action="store_true", help="compare cn2an / jionlp instead")
    parser.add_argument("--dump", type=Path, help="write the generated messages to this file")
    parser.add_argument(
        "--typos", action="store_true", help="also measure the typo (pinyin) pass, in-process"
    )
    args = parser.parse_args(argv)

    if args.score:
        for path in args.score:
            result = score(path)
            fields = ", ".join(
                f"{f} {result[f]:.3f} (n={int(result[f + '_n'])})" for f in FIELDS if f in result
            )
            print(f"{path}: type P {result['type_precision']:.3f} R {result['type_recall']:.3f} "
                  f"F1 {result['type_f1']:.3f}; {fields}")  # fmt: skip
        return 0
    if args.libs:
        print(machine())
        bench_libs()
        return 0

    print(machine())
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})  # one core
    messages = generate(args.n)
    if args.dump:
        args.dump.write_text(
            "".join(json.dumps(m, ensure_ascii=False) + "\n" for m in messages), encoding="utf-8"
        )
    avg = sum(len(m["text"]) for m in messages) / len(messages)
    print(f"generated {len(messages)} messages, {avg:.1f} characters on average")
    if args.typos:
        t = bench_typos(messages)
        print(
            f"(a') typo pass: gated {t['gated']:,.0f} messages/s "
            f"({t['share_read_twice']:.1%} read twice), never {t['never']:,.0f}/s, "
            f"always {t['always']:,.0f}/s; sound index built in {t['index_build_ms']:.0f} ms"
        )
    a = bench_inprocess(messages)
    print(
        f"(a) in-process: {a['per_second']:,.0f} messages/s ({a['mean_us']:.1f} us mean, "
        f"p50 {a['p50_us']:.1f} us, p99 {a['p99_us']:.1f} us), {a['records']} records; "
        f"import {a['import_ms']:.1f} ms, first call {a['first_call_ms']:.1f} ms"
    )
    if args.skip_cli:
        return 0
    command = [args.djbot, "parse", "--batch"]
    if not Path(args.djbot).exists() and shutil.which(args.djbot) is None:
        print(f"(b) skipped: {args.djbot} not found")
        return 0
    b = bench_cli(messages, command)
    print(
        f"(b) djbot parse --batch: {b['per_second']:,.0f} messages/s end to end "
        f"({b['seconds']:.2f} s), startup {b['startup_s'] * 1000:.0f} ms, "
        f"{b['per_second_after_startup']:,.0f} messages/s after startup, {b['records']} records"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
