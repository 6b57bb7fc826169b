#!/usr/bin/env bash
# Installs the Debian packages the local environment and integration tests run:
# MariaDB server/client, HAProxy, OpenSSH server/client, openssl, socat, Graphviz (plan --diagram),
# and etcd (the consensus store of the local automatic failover).
# Skips apt entirely when everything is already there.
set -euo pipefail
need=()
for cmd in mariadbd:mariadb-server mariadb:mariadb-client haproxy:haproxy \
           sshd:openssh-server ssh:openssh-client openssl:openssl socat:socat dot:graphviz \
           etcd:etcd-server etcdctl:etcd-client; do
  bin=${cmd%%:*} pkg=${cmd##*:}
  command -v "$bin" >/dev/null 2>&1 || [ -x "/usr/sbin/$bin" ] || need+=("$pkg")
done
[ ${#need[@]} -eq 0 ] && exit 0
if [ "$(id -u)" -ne 0 ]; then
  echo "install-system-deps: missing ${need[*]}; run as root or: sudo apt-get install ${need[*]}" >&2
  exit 1
fi
# The packages would start system services on 3306/22 where a policy allows it;
# forbid that for the duration of the install (only if no policy exists yet).
created_policy=0
if [ ! -e /usr/sbin/policy-rc.d ]; then
  printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d
  chmod +x /usr/sbin/policy-rc.d
  created_policy=1
fi
trap '[ $created_policy -eq 1 ] && rm -f /usr/sbin/policy-rc.d' EXIT
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
