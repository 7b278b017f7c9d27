"""Verify the webhook requests the tests received with an independent implementation of
the Standard Webhooks scheme: the `standardwebhooks` Python package.

The integration test `alerts::webhook_delivers_every_change_once_...` appends each
request its loopback receiver got (headers, body, the status answered, the secret) to
the file named by LEADSCORE_WEBHOOK_LOG; `.ci/run` sets that variable for `cargo test`
and then runs this script on the file.

The package's `verify` also refuses timestamps more than five minutes old, and the test
may have run earlier than that; so each signature is checked against the package's own
`sign` for the request's id and timestamp, and `verify` is called as well on requests
still inside its window.
"""

import json
import sys
from datetime import datetime, timezone

from standardwebhooks.webhooks import Webhook


def main(path: str) -> None:
    with open(path, encoding="utf-8") as f:
        log = [json.loads(line) for line in f if line.strip()]
    if not log:
        sys.exit(f"{path}: no webhook requests were logged")
    now = datetime.now(tz=timezone.utc).timestamp()
    verified = fresh = 0
    statuses: dict[int, int] = {}
    for i, r in enumerate(log, 1):
        h = r["headers"]
        wh = Webhook(r["secret"])
        ts = int(h["webhook-timestamp"])
        want = wh.sign(h["webhook-id"], datetime.fromtimestamp(ts, tz=timezone.utc), r["body"])
        if want not in h["webhook-signature"].split(" "):
            sys.exit(f"request {i} ({h['webhook-id']}): signature {h['webhook-signature']} != {want}")
        if abs(now - ts) < 290:
            wh.verify(r["body"], h)
            fresh += 1
        body = json.loads(r["body"])
        assert body["type"] == "leadscore.changes", body["type"]
        verified += 1
        statuses[r["status"]] = statuses.get(r["status"], 0) + 1
    print(
        f"webhooks: {verified} requests, every signature matches standardwebhooks' sign "
        f"({fresh} also passed its verify); statuses answered: "
        + ", ".join(f"{k or 'none'}: {v}" for k, v in sorted(statuses.items()))
    )


if __name__ == "__main__":
    main(sys.argv[1])
