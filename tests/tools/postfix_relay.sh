#!/usr/bin/env bash
# A private Postfix relay for tests: accepts mail from 127.0.0.1 on its own
# port, relays it to a downstream SMTP server, fails one domain AFTER
# accepting (so the sender gets 250, then a real Postfix DSN to the envelope
# sender), and delivers mail for the bounce domain to `tayori inbound`.
# Its own configuration and queue under DIR; never the system's Postfix.
#
#   postfix_relay.sh start DIR RELAY_PORT DOWNSTREAM_PORT INBOUND_PORT BOUNCE_DOMAIN FAIL_DOMAIN
#   postfix_relay.sh stop DIR
set -euo pipefail
cmd=$1 D=$2
if [[ $cmd == stop ]]; then
  # `postfix stop` signals the master PID recorded under DIR (never by name).
  [[ -f $D/conf/main.cf ]] && postfix -c "$D/conf" stop > /dev/null 2>&1 || true
  exit 0
fi
relay_port=$3 downstream=$4 inbound=$5 bounce_domain=$6 fail_domain=$7
mkdir -p "$D/conf" "$D/spool" "$D/data"
cat > "$D/conf/main.cf" <<CONF
compatibility_level = 3.6
queue_directory = $D/spool
data_directory = $D/data
mail_owner = postfix
setgid_group = postdrop
inet_interfaces = 127.0.0.1
inet_protocols = ipv4
myhostname = relay.test
mydestination =
mynetworks = 127.0.0.0/8
smtpd_relay_restrictions = permit_mynetworks, reject
default_transport = smtp:[127.0.0.1]:$downstream
transport_maps = texthash:$D/conf/transport
smtp_dns_support_level = disabled
maillog_file = $D/maillog
maillog_file_prefixes = $D
queue_run_delay = 1s
minimal_backoff_time = 1s
maximal_backoff_time = 2s
smtputf8_enable = no
smtpd_reject_unlisted_recipient = no
CONF
# The failing domain bounces after acceptance; DSNs to the bounce domain go to the listener.
printf '%s error:5.1.1 user unknown\n%s smtp:[127.0.0.1]:%s\n' "$fail_domain" "$bounce_domain" "$inbound" \
  > "$D/conf/transport"
# master.cf: the package's, smtpd on our port, no chroot (5th column n).
sed "s/^smtp      inet  n       -       y       -       -       smtpd/127.0.0.1:$relay_port inet n - n - - smtpd/" \
  /etc/postfix/master.cf | sed -E 's/^([^# ][^ ]*[ ]+[^ ]+[ ]+[^ ]+[ ]+[^ ]+[ ]+)y/\1n/' > "$D/conf/master.cf"
chown postfix:postfix "$D/data"
chmod 755 "$D" "$D/spool"
postfix -c "$D/conf" check || { echo "postfix check failed (see $D/maillog)" >&2; exit 1; }
postfix -c "$D/conf" start < /dev/null > /dev/null 2>&1
for _ in $(seq 1 100); do
  (exec 3<>"/dev/tcp/127.0.0.1/$relay_port") 2>/dev/null && exit 0
  sleep 0.1
done
echo "postfix did not listen on 127.0.0.1:$relay_port (see $D/maillog)" >&2
exit 1
