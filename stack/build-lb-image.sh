#!/usr/bin/env bash
# Builds the load balancer's image offline from Debian's haproxy package, and prints
# the image tag on stdout.
#
#   stack/build-lb-image.sh [TAG]     default TAG: http-echo-lb:local
#
# Where a registry is reachable the stack uses the official haproxy image instead
# (stack.yml's default LB_IMAGE); this is for machines that can pull nothing. The
# image is FROM scratch: the haproxy binary and the shared libraries it links, with
# the same binary path, config path and entry point as the official image, so
# stack.yml runs either one unchanged. Needs the haproxy package installed
# (apt-get install haproxy); it is not started on the host.
set -euo pipefail

tag="${1:-http-echo-lb:local}"
haproxy_binary=/usr/sbin/haproxy
[[ -x "$haproxy_binary" ]] || {
    echo "build-lb-image: $haproxy_binary not found; install Debian's haproxy package" >&2
    exit 1
}

rootfs="$(mktemp -d)"
trap 'rm -rf "$rootfs"' EXIT
# mktemp makes the folder 0700; it becomes the image's /, which the non-root user must traverse.
chmod 0755 "$rootfs"
install -D --mode=0755 "$haproxy_binary" "$rootfs/usr/local/sbin/haproxy"
# Every shared library and the ELF interpreter, at the paths the binary asks for
# (executable: the kernel execs the interpreter).
ldd "$haproxy_binary" | grep -o '/[^ ]*' | while read -r library; do
    install -D --mode=0755 "$(readlink -f "$library")" "$rootfs$library"
done

tar --create --numeric-owner --owner=0 --group=0 --directory "$rootfs" . |
    docker import \
        --change 'USER 65532:65532' \
        --change 'ENTRYPOINT ["/usr/local/sbin/haproxy", "-W", "-db"]' \
        --change 'CMD ["-f", "/usr/local/etc/haproxy/haproxy.cfg"]' \
        --message "haproxy $(dpkg-query --show --showformat='${Version}' haproxy 2>/dev/null || echo unknown)" \
        - "$tag" >/dev/null
printf '%s\n' "$tag"
