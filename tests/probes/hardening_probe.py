"""Probe a running server the way issue #8 was reproduced: races, login throttling and bad input over HTTP.

Not a test (pytest does not collect it): it prints figures. Run it against a seeded server with several workers on
PostgreSQL, e.g. (see README "Hardening probe"):

    DATABASE_URL=postgresql://postgres@127.0.0.1:5432/dxprobe .venv/bin/gunicorn -w 2 -b 127.0.0.1:8001 wsgi:app
    .venv/bin/python tests/probes/hardening_probe.py --base http://127.0.0.1:8001 \
        --database-url postgresql://postgres@127.0.0.1:5432/dxprobe --only races

Each scenario fires N identical requests at once (threads behind a barrier) and prints the status codes it got and
what the database holds afterwards. Bounded: every loop has a fixed count and every request a timeout.
"""
from __future__ import annotations

import argparse
import json
import re
import subprocess
import sys
import threading
import time
import uuid
from collections import Counter
from collections.abc import Callable
from typing import Any

import psycopg
import requests

PASSWORD = "dx-demo-2026"
OFFICER = "iwamizawa@demo.example.jp"
COORDINATOR = "coord.hokkaido@demo.example.jp"
TIMEOUT = 30
_CSRF = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"|name="csrf_token" value="([^"]+)"')


def _csrf(html: str) -> str:
    match = _CSRF.search(html)
    if not match:
        raise SystemExit("no CSRF token on the page")
    return match.group(1) or match.group(2)


class Site:
    def __init__(self, base: str, database_url: str) -> None:
        self.base, self.database_url = base.rstrip("/"), database_url

    def login(self, email: str) -> requests.Session:
        s = requests.Session()
        token = _csrf(s.get(self.base + "/auth/login", timeout=TIMEOUT).text)
        r = s.post(self.base + "/auth/login", data={"email": email, "password": PASSWORD, "csrf_token": token},
                   timeout=TIMEOUT, allow_redirects=False)
        if r.status_code != 302:
            raise SystemExit(f"login as {email} failed: {r.status_code}")
        return s

    def token(self, email: str) -> str:
        r = requests.post(self.base + "/api/v1/auth/token", json={"email": email, "password": PASSWORD},
                          timeout=TIMEOUT)
        if r.status_code != 200:
            raise SystemExit(f"token for {email} failed: {r.status_code} {r.text[:200]}")
        return str(r.json()["token"])

    def sql(self, query: str, *params: Any) -> list[tuple[Any, ...]]:
        with psycopg.connect(self.database_url) as conn:
            return list(conn.execute(query, params).fetchall())


def burst(n: int, call: Callable[[int], requests.Response]) -> Counter[int]:
    """Fire `call` n times at once; return the status codes."""
    barrier, codes, lock = threading.Barrier(n), Counter[int](), threading.Lock()

    def run(i: int) -> None:
        barrier.wait()
        try:
            code = call(i).status_code
        except requests.RequestException:
            code = -1
        with lock:
            codes[code] += 1

    threads = [threading.Thread(target=run, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return codes


def clone(session: requests.Session) -> requests.Session:
    s = requests.Session()
    s.cookies.update(session.cookies)
    return s


def report(name: str, codes: Counter[int], **facts: object) -> None:
    shown = ", ".join(f"{k}×{v}" for k, v in sorted(codes.items()))
    extra = "".join(f"  {k}={v}" for k, v in facts.items())
    print(f"{name:<44} {shown}{extra}")


# ---------------------------------------------------------------- races


def races(site: Site, n: int) -> None:
    officer, coordinator = site.login(OFFICER), site.login(COORDINATOR)
    api = {"Authorization": "Bearer " + site.token(OFFICER)}
    issue_id = site.sql("SELECT id FROM issue WHERE municipality_code = '012106' AND status = 'open' "
                        "ORDER BY id LIMIT 1")[0][0]
    expert_id = site.sql("SELECT id FROM expert_profile ORDER BY id DESC LIMIT 1")[0][0]

    page = officer.get(f"{site.base}/issues/{issue_id}/candidates", timeout=TIMEOUT).text
    token = _csrf(page)
    codes = burst(n, lambda i: clone(officer).post(f"{site.base}/issues/{issue_id}/shortlist/{expert_id}",
                                                   data={"csrf_token": token}, timeout=TIMEOUT,
                                                   allow_redirects=False))
    rows = site.sql("SELECT count(*) FROM shortlist_entry WHERE issue_id = %s AND expert_id = %s", issue_id, expert_id)
    report("shortlist toggle (same expert)", codes, rows=rows[0][0])

    token = _csrf(coordinator.get(site.base + "/coordinator/plan", timeout=TIMEOUT).text)
    plan_issue = site.sql("SELECT i.id FROM issue i JOIN municipality m ON m.code = i.municipality_code "
                          "WHERE m.prefecture_code = '01' AND i.status = 'open' ORDER BY i.id DESC LIMIT 1")[0][0]
    codes = burst(n, lambda i: clone(coordinator).post(
        site.base + "/coordinator/plan", data={"csrf_token": token, f"choice-{plan_issue}": str(expert_id)},
        timeout=TIMEOUT, allow_redirects=False))
    pins = site.sql("SELECT count(*) FROM candidate_curation WHERE issue_id = %s AND action = 'pin'", plan_issue)
    report("accept monthly plan", codes, pins_on_issue=pins[0][0])

    roles = ["engineer", "producer"]
    codes = burst(n, lambda i: requests.patch(f"{site.base}/api/v1/issues/{issue_id}", json={"wanted_roles": roles},
                                              headers=api, timeout=TIMEOUT))
    rows = site.sql("SELECT count(*) FROM issue_role WHERE issue_id = %s", issue_id)
    report("PATCH wanted_roles", codes, role_rows=rows[0][0])

    email = f"probe-{uuid.uuid4().hex[:8]}@example.jp"
    subprocess.run([sys.executable, "-m", "flask", "--app", "wsgi", "users", "create", "--email", email,
                    "--password", PASSWORD, "--role", "expert"], check=True, capture_output=True,
                   env={"DATABASE_URL": site.database_url, "PATH": "/usr/bin:/bin"})
    expert_api = {"Authorization": "Bearer " + site.token(email)}
    body = {"display_name": "並行 太郎", "roles": ["engineer"], "sectors": ["agriculture"], "modes": ["online"],
            "bio": "自治体の業務改善とクラウド移行を十年以上支援してきました。RPAとローコードが得意です。",
            "prefecture_code": "01", "home_label": "札幌市", "travel_range": "none"}
    codes = burst(n, lambda i: requests.put(site.base + "/api/v1/experts/me", json=body, headers=expert_api,
                                            timeout=TIMEOUT))
    rows = site.sql("SELECT count(*) FROM expert_profile p JOIN user_account u ON u.id = p.user_id "
                    "WHERE u.email = %s", email)
    report("first PUT /experts/me", codes, profiles=rows[0][0])

    draft = requests.post(site.base + "/api/v1/issues", headers=api, timeout=TIMEOUT, json={
        "title": "並行公開の確認用の課題", "body": "同じ下書きを五つのタブから同時に公開したときの動きを確かめます。",
        "sector": "business_process", "stage": "issue_definition", "wanted_roles": ["project_manager"]}).json()["id"]
    token = _csrf(officer.get(f"{site.base}/issues/{draft}", timeout=TIMEOUT).text)
    codes = burst(5, lambda i: clone(officer).post(f"{site.base}/issues/{draft}/publish", data={"csrf_token": token},
                                                   timeout=TIMEOUT, allow_redirects=False))
    audits = site.sql("SELECT count(*) FROM audit_event WHERE action = 'issue_status' AND object_id = %s", str(draft))
    report("publish one draft from 5 tabs", codes, status_audit_rows=audits[0][0])

    pair = site.sql("SELECT min(i.id), max(i.id) FROM issue i WHERE i.status = 'open' AND i.municipality_code IN "
                    "('012106', '012068')")[0]
    before = site.sql("SELECT count(*) FROM notification WHERE kind = 'joint_suggestion'")[0][0]
    token = _csrf(coordinator.get(site.base + "/coordinator/joint", timeout=TIMEOUT).text)
    codes = burst(n, lambda i: clone(coordinator).post(site.base + "/coordinator/joint", timeout=TIMEOUT,
                                                       data={"csrf_token": token, "issue_ids": f"{pair[0]},{pair[1]}"},
                                                       allow_redirects=False))
    after = site.sql("SELECT count(*) FROM notification WHERE kind = 'joint_suggestion'")[0][0]
    report("one joint suggestion", codes, new_notifications=after - before)


# ---------------------------------------------------------------- login throttling


def _failures_since(site: Site, started: Any) -> dict[str, int]:
    """Count the audited login failures since `started` by reason: password checked, or refused by the lock."""
    rows = site.sql("SELECT detail->>'reason', count(*) FROM audit_event WHERE action = 'login_failed' AND at >= %s "
                    "GROUP BY 1", started)
    found = dict(rows)
    return {"password_checked": int(found.get("password", 0)), "refused_locked": int(found.get("locked", 0))}


def _colleagues_log_in(site: Site) -> Counter[str]:
    """Eight staff of town halls log in with their right passwords from this one address."""
    ok = Counter[str]()
    for email in ["iwamizawa@demo.example.jp", "niseko@demo.example.jp", "shiranuka@demo.example.jp",
                  "nemuro@demo.example.jp", "hokuto@demo.example.jp", "ogata@demo.example.jp",
                  "kazuno@demo.example.jp", "kesennuma@demo.example.jp"]:
        s = requests.Session()
        token = _csrf(s.get(site.base + "/auth/login", timeout=TIMEOUT).text)
        r = s.post(site.base + "/auth/login", data={"email": email, "password": PASSWORD, "csrf_token": token},
                   timeout=TIMEOUT, allow_redirects=False)
        ok["logged in" if r.status_code == 302 else f"refused {r.status_code}"] += 1
    return ok


def throttle(site: Site, n: int) -> None:
    victim = "naganuma@demo.example.jp"

    def wrong(i: int) -> requests.Response:
        s = requests.Session()
        token = _csrf(s.get(site.base + "/auth/login", timeout=TIMEOUT).text)
        return s.post(site.base + "/auth/login", timeout=TIMEOUT, allow_redirects=False,
                      data={"email": victim, "password": f"wrong-{i}", "csrf_token": token})

    started = site.sql("SELECT now()")[0][0]
    pages = [wrong(i) for i in range(n)]
    codes = Counter(r.status_code for r in pages)
    told_when = sum("以降に、もう一度お試しください" in r.text for r in pages)
    report(f"{n} wrong passwords, one account, one IP", codes, **_failures_since(site, started),
           told_when_to_retry=told_when)
    started = site.sql("SELECT now()")[0][0]
    codes = Counter(requests.post(site.base + "/api/v1/auth/token", json={"email": victim, "password": "x-wrong"},
                                  timeout=TIMEOUT).status_code for _ in range(3))
    report("then the token endpoint, same account", codes, **_failures_since(site, started))
    # The same office address: the other staff of the town hall log in fine.
    print(f"{'then 8 colleagues log in from the same IP':<44} {dict(_colleagues_log_in(site))}")
    # Guesses spread over many addresses from one IP meet the per-IP budget of failures (RATELIMIT_LOGIN, shared by
    # every worker when the storage is Redis; with memory:// each worker has its own).
    sprayed = Counter()
    for i in range(110):
        s = requests.Session()
        token = _csrf(s.get(site.base + "/auth/login", timeout=TIMEOUT).text)
        r = s.post(site.base + "/auth/login", timeout=TIMEOUT, allow_redirects=False,
                   data={"email": f"spray{i}@example.jp", "password": "wrong-pass", "csrf_token": token})
        sprayed[r.status_code] += 1
    report("110 guesses over 110 addresses, one IP", sprayed)
    print(f"{'8 colleagues, once the IP budget is spent':<44} {dict(_colleagues_log_in(site))}")


# ---------------------------------------------------------------- bad input


def bad_input(site: Site, n: int) -> None:
    del n
    officer = {"Authorization": "Bearer " + site.token(OFFICER)}
    raw = [
        ("token: lone surrogate", "POST", "/api/v1/auth/token", b'{"email": "a\\ud800@x.jp", "password": "x"}', {}),
        ("token: NUL in email", "POST", "/api/v1/auth/token", b'{"email": "a\\u0000@x.jp", "password": "x"}', {}),
        ("issues: 50,000-deep JSON", "POST", "/api/v1/issues", b"[" * 50_000 + b"]" * 50_000, officer),
        ("issues: 5,000-digit months", "POST", "/api/v1/issues", b'{"months": ' + b"9" * 5000 + b"}", officer),
        ("issues: NUL in co_municipality_codes", "POST", "/api/v1/issues",
         json.dumps({"title": "テストの課題です", "body": "x" * 30, "sector": "agriculture", "stage": "development",
                     "wanted_roles": ["engineer"], "co_municipality_codes": ["01\u000006"]}).encode(), officer),
    ]
    for name, method, path, body, headers in raw:
        r = requests.request(method, site.base + path, data=body, timeout=TIMEOUT,
                             headers={"Content-Type": "application/json", **headers})
        report(name, Counter([r.status_code]))
    s = site.login(OFFICER)
    for path in ["/issues/2147483648", "/experts/99999999999", "/issues/2147483648/candidates"]:
        report(f"GET {path}", Counter([s.get(site.base + path, timeout=TIMEOUT).status_code]))
    s = requests.Session()
    token = _csrf(s.get(site.base + "/auth/login", timeout=TIMEOUT).text)
    r = s.post(site.base + "/auth/login?next=/%0aLocation:%20x", timeout=TIMEOUT, allow_redirects=False,
               data={"email": "niseko@demo.example.jp", "password": PASSWORD, "csrf_token": token})
    report("login with a newline in next", Counter([r.status_code]), location=r.headers.get("Location"))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--base", default="http://127.0.0.1:8001")
    parser.add_argument("--database-url", required=True)
    parser.add_argument("-n", type=int, default=20, help="concurrent requests per race (default 20)")
    parser.add_argument("--only", choices=["races", "throttle", "input"], action="append")
    args = parser.parse_args()
    site = Site(args.base, args.database_url)
    started = time.perf_counter()
    for name, scenario in {"races": races, "input": bad_input, "throttle": throttle}.items():
        if not args.only or name in args.only:
            print(f"== {name}")
            scenario(site, args.n)
    print(f"({time.perf_counter() - started:.1f} s)")


if __name__ == "__main__":
    main()
