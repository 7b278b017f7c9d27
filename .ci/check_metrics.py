"""`leadscore serve`'s /metrics page, parsed by Prometheus' own Python client
(prometheus_client's text parser), so that the page is valid Prometheus text (issue 28).

Starts `serve` on a free loopback port with a model trained on the sample data, sends
good and bad requests, reads /metrics, and checks: every family parses; the request
counter, the latency histogram (cumulative buckets, +Inf equal to the count), the leads
counter and the tiers agree with what was sent; the model's info carries its checksum.
The server is stopped with SIGTERM (and stops by itself after 120 s).

Usage: python .ci/check_metrics.py path/to/leadscore
"""
import json
import os
import re
import signal
import subprocess
import sys
import tempfile
import urllib.error
import urllib.request

from prometheus_client.parser import text_string_to_metric_families

binary = os.path.abspath(sys.argv[1])
root = os.path.normpath(os.path.join(os.path.dirname(__file__), ".."))
work = tempfile.TemporaryDirectory(prefix="leadscore-metrics-")
model = os.path.join(work.name, "m.model")
subprocess.run([binary, "train", "--data", os.path.join(root, "data/sample_leads.csv"), "--label", "outcome",
                "--id", "lead_id", "--model", model, "-q"], check=True, stdout=subprocess.DEVNULL)
server = subprocess.Popen([binary, "serve", "--model", model, "--listen", "127.0.0.1:0", "-q", "--exit-after", "120"],
                          stderr=subprocess.PIPE, text=True)
try:
    line = server.stderr.readline()
    addr = re.search(r"http://(127\.0\.0\.1:\d+)", line).group(1)

    def call(path, body=None):
        req = urllib.request.Request(f"http://{addr}{path}", data=body, method="POST" if body is not None else "GET")
        try:
            with urllib.request.urlopen(req, timeout=30) as r:
                return r.status, r.read().decode()
        except urllib.error.HTTPError as e:
            return e.code, e.read().decode()

    import csv
    rows = list(csv.DictReader(open(os.path.join(root, "data/new_leads.csv"), encoding="utf-8")))[:50]
    status, text = call("/v1/score", json.dumps({"leads": rows, "as_of": "2025-06-30"}).encode())
    assert status == 200, text
    tiers = {}
    for lead in json.loads(text)["leads"]:
        tiers[lead["tier"]] = tiers.get(lead["tier"], 0) + 1
    assert call("/v1/score", b"{not json")[0] == 400
    status, page = call("/metrics")
    assert status == 200
    families = {f.name: f for f in text_string_to_metric_families(page)}
    samples = lambda fam: [(s.name, s.labels, s.value) for s in families[fam].samples]
    requests = {s[1]["status"]: s[2] for s in samples("leadscore_requests") if s[0] == "leadscore_requests_total"}
    assert requests["200"] == 1 and requests["400"] == 1, requests
    assert families["leadscore_request_duration_seconds"].type == "histogram"
    buckets = [(float(s[1]["le"]), s[2]) for s in samples("leadscore_request_duration_seconds") if s[0].endswith("_bucket")]
    counts = [c for _, c in buckets]
    assert counts == sorted(counts) and buckets[-1][0] == float("inf"), buckets
    count = [s[2] for s in samples("leadscore_request_duration_seconds") if s[0].endswith("_count")][0]
    assert buckets[-1][1] == count == 2, (buckets, count)
    leads = [s[2] for s in samples("leadscore_leads_scored") if s[0] == "leadscore_leads_scored_total"][0]
    assert leads == 50, leads
    by_tier = {s[1]["tier"]: s[2] for s in samples("leadscore_leads_by_tier") if s[0].endswith("_total")}
    assert by_tier == tiers, (by_tier, tiers)
    info = samples("leadscore_model_info")[0]
    assert len(info[1]["checksum"]) == 64 and info[1]["as_of"] == "2025-06-29", info
    print(f"check_metrics: /metrics parsed by prometheus_client: {len(families)} families, "
          f"{sum(len(f.samples) for f in families.values())} samples; requests {requests['200']:.0f} ok and "
          f"{requests['400']:.0f} bad, {leads:.0f} leads, tiers {by_tier}")
finally:
    server.send_signal(signal.SIGTERM)
    try:
        server.wait(timeout=20)
    except subprocess.TimeoutExpired:
        server.kill()
