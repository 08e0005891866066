#!/usr/bin/env python3
"""The baseline a list member would script instead of listwatch: read an mbox with the standard
`mailbox` and `email` modules, take the text/plain parts (or text/html with tags stripped), drop
quote markers, and pull Argus `ra` flow lines and Snort alerts out with `re`.

Prints one JSON line: messages, argus and snort record counts (quoted copies included, as listwatch
counts them too), and the seconds spent.

usage: python3 bench/python/extract.py ARCHIVE.mbox
"""
import email
import email.policy
import json
import mailbox
import re
import sys
import time

IP = r"\d{1,3}\.\d{1,3}\.\d{1,3}\.\d{1,3}"
# argus ra, whitespace columns: 192.0.2.10.40000  ->  198.51.100.20.80 (port may be a service name)
ARGUS_COLS = re.compile(r"(?:^|\s)(" + IP + r")(?:\.(\w{1,15}))?\s+(<?[-?|<>o]{1,3}>?)\s+(" + IP + r")(?:\.(\w{1,15}))?(?:\s|$)")
# argus ra -c ,: ...,tcp,192.0.2.10,40000,   ->,198.51.100.20,http,...
ARGUS_CSV = re.compile(r",(" + IP + r"),(\w{0,15}),\s*(<?[-?|<>o]{1,3}>?),(" + IP + r"),(\w{0,15}),")
# snort -A fast (and the same layout as a suricata fast.log line)
SNORT_FAST = re.compile(r"\[\*\*\]\s*\[\d+:\d+:\d+\][^\n]{0,300}?\{(\w+)\}\s+(" + IP + r")(?::(\d+))?\s+->\s+(" + IP + r")(?::(\d+))?")
# snort -A full: the time and address line after the [**] header
SNORT_FULL = re.compile(r"^\d\d/\d\d(?:/\d\d)?-\d\d:\d\d:\d\d\.\d+\s+(" + IP + r")(?::(\d+))?\s+->\s+(" + IP + r")(?::(\d+))?")
TAG = re.compile(r"<[^>]{0,500}>")
QUOTE = re.compile(r"^(?:\s{0,3}>)+\s?")
FROM_ESCAPE = re.compile(r"^>(>*From )", re.M)


def body_text(msg):
    """The text/plain parts, or text/html with tags dropped when there is no plain part."""
    plain, html = [], []
    for part in msg.walk():
        if part.get_content_maintype() != "text" or part.get_filename():
            continue
        payload = part.get_payload(decode=True)
        if payload is None:
            continue
        charset = part.get_content_charset() or "us-ascii"
        try:
            text = payload.decode(charset, errors="replace")
        except LookupError:
            text = payload.decode("latin-1")
        (plain if part.get_content_subtype() == "plain" else html).append(text)
    if plain:
        return "\n".join(plain)
    return TAG.sub("", "\n".join(html))


def extract(text):
    argus = snort = 0
    for raw in text.split("\n"):
        if len(raw) > 4096:
            continue
        line = QUOTE.sub("", raw)
        if SNORT_FAST.search(line):
            snort += 1
        elif SNORT_FULL.match(line):
            snort += 1
        elif ARGUS_CSV.search(line) or ARGUS_COLS.search(line):
            argus += 1
    return argus, snort


def main(path):
    t0 = time.perf_counter()
    box = mailbox.mbox(path, factory=None, create=False)
    messages = argus = snort = 0
    for key in box.iterkeys():
        raw = box.get_bytes(key)
        # mboxrd: undo the >From escaping the way mbox-reader does, so both see the same bodies
        raw = FROM_ESCAPE.sub(lambda m: m.group(1), raw.decode("latin-1")).encode("latin-1")
        msg = email.message_from_bytes(raw, policy=email.policy.compat32)
        a, s = extract(body_text(msg))
        messages += 1
        argus += a
        snort += s
    print(json.dumps({"messages": messages, "argus": argus, "snort": snort, "seconds": time.perf_counter() - t0}))


if __name__ == "__main__":
    main(sys.argv[1])
