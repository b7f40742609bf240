#!/usr/bin/env bash
# Makes sure the MariaDB on 127.0.0.1:3306 and the Redis on 127.0.0.1:6379 that the tests use
# are running; starts the Debian-installed ones if not.
set -euo pipefail

wait_for() { # name, command...
  local name=$1; shift
  for _ in $(seq 1 60); do "$@" >/dev/null 2>&1 && return 0; sleep 0.5; done
  echo "$name did not come up" >&2; return 1
}

if ! mariadb-admin --protocol=tcp -h127.0.0.1 -P3306 -uroot ping >/dev/null 2>&1; then
  echo "starting MariaDB on 127.0.0.1:3306"
  if [ "$(id -u)" -eq 0 ]; then
    mkdir -p /run/mysqld && chown mysql:mysql /run/mysqld 2>/dev/null || true
    start-stop-daemon --start --oknodo --background --exec /usr/sbin/mariadbd
  else
    sudo service mariadb start
  fi
  wait_for MariaDB mariadb-admin --protocol=tcp -h127.0.0.1 -P3306 -uroot ping
fi

if ! redis-cli -h 127.0.0.1 -p 6379 ping >/dev/null 2>&1; then
  echo "starting Redis on 127.0.0.1:6379"
  redis-server --daemonize yes --bind 127.0.0.1 --port 6379 --save "" --appendonly no \
    --dir /tmp --logfile /tmp/mindpal-test-redis.log
  wait_for Redis redis-cli -h 127.0.0.1 -p 6379 ping
fi
