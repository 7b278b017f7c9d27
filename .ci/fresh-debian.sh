#!/usr/bin/env bash
# Issue 34: the README's set-up on a fresh Debian 12, by hand (not run by .ci/run: it
# costs a second cold build). A minimal Debian is made with debootstrap in a scratch
# folder; inside it, as root, the README's Debian lines run (without sudo: a minimal
# Debian has none, and root needs none), then its demo command, `cargo install --path .`
# and the tour's first commands as typed. Prints README TOUR DONE at the end.
# Needs root, debootstrap and the network. Usage: sudo .ci/fresh-debian.sh [DIR]
set -euo pipefail
cd "$(dirname "$0")/.."
dir=${1:-/tmp/leadscore-fresh-debian}
[ -d "$dir/usr" ] || debootstrap --variant=minbase bookworm "$dir" http://deb.debian.org/debian
rm -rf "$dir/root/leadscore" && git clone -q "$PWD" "$dir/root/leadscore"
cp /etc/resolv.conf "$dir/etc/resolv.conf"
# A machine whose outbound HTTPS goes through an inspecting proxy trusts its CA; the
# fresh system must too (nothing is copied where there is none).
if compgen -G "/usr/local/share/ca-certificates/*.crt" >/dev/null; then
    mkdir -p "$dir/usr/local/share/ca-certificates"
    cp /usr/local/share/ca-certificates/*.crt "$dir/usr/local/share/ca-certificates/"
fi
mountpoint -q "$dir/proc" || mount -t proc proc "$dir/proc"
mountpoint -q "$dir/dev" || mount --bind /dev "$dir/dev"
trap 'umount "$dir/proc" "$dir/dev" 2>/dev/null || true' EXIT
cat > "$dir/root/readme.sh" <<'INNER'
#!/bin/bash
set -euo pipefail
export HOME=/root
apt-get update && apt-get install -y build-essential curl git
command -v update-ca-certificates >/dev/null && update-ca-certificates >/dev/null
curl --proto '=https' --tlsv1.2 -sSf https://sh.rustup.rs | sh -s -- -y || {
  echo "sh.rustup.rs did not answer; the same installer from static.rust-lang.org"
  curl --proto '=https' --tlsv1.2 -sSf -o /root/rustup-init https://static.rust-lang.org/rustup/dist/x86_64-unknown-linux-gnu/rustup-init
  chmod +x /root/rustup-init && /root/rustup-init -y; }
. "$HOME/.cargo/env"
cd /root/leadscore
cargo run --release -- demo
cargo install --path . --locked
echo "leadscore on the PATH: $(command -v leadscore)"
leadscore train --data data/sample_leads.csv --label outcome --id lead_id --model leads.model
leadscore threshold --model leads.model --data data/holdout_leads.csv --strategy top:200 --output routed.model
leadscore evaluate --model routed.model --data data/evaluation_leads.csv
echo "README TOUR DONE"
INNER
chmod +x "$dir/root/readme.sh"
chroot "$dir" /root/readme.sh
