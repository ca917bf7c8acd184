#!/bin/sh
# PID 1 of the test's new PID namespace (see SystemdBox.swift): private mounts, then systemd.
#   $1  the box's work directory (units/ holds its only units)
#   $2  a directory bind-mounted at /opt/nameindex (an installed tree, `make install DESTDIR=…`)
set -eu
work=$1
stage=$2
# cgroup2 rooted at the box's own group (the launcher entered it before unshare --cgroup).
umount -R -l /sys/fs/cgroup
mount -t cgroup2 cgroup2 /sys/fs/cgroup
# Private /run: systemd's state, its private socket, the journal, the daemon's sockets.
mount -t tmpfs -o mode=0755,nosuid,nodev tmpfs /run
# systemd must not change the host's sysctls.
mount --bind /proc/sys /proc/sys
mount -o remount,bind,ro /proc/sys
# Writable /etc, /var and /opt whose changes stay in the box (configuration, StateDirectory=,
# DynamicUser=, the journal, the installed tree): overlays with their upper layers in a tmpfs.
mount -t tmpfs -o mode=0755 tmpfs /mnt
mkdir -p /opt
for d in etc var opt; do
  mkdir -p /mnt/$d/upper /mnt/$d/work
  mount -t overlay overlay -o lowerdir=/$d,upperdir=/mnt/$d/upper,workdir=/mnt/$d/work /$d
done
# A fresh /var/lib: whatever the host keeps there (an earlier nameindexd's state) stays out.
mount -t tmpfs -o mode=0755 tmpfs /var/lib
# The installed tree, where the units expect it.
mkdir /opt/nameindex
mount --bind "$stage" /opt/nameindex
# A booted systemd makes / shared; in a container it does not. Credentials (LoadCredential=)
# are mounted in a helper's namespace and moved into place, which reaches systemd's view only
# through shared mounts. These peer groups are new: nothing propagates to the host.
mount --make-rshared /
export container=nameindex-test
# Only the box's units: the host's sysinit.target.wants/ would run tmpfiles and sysctl on the host.
export SYSTEMD_UNIT_PATH="$work/units"
exec /lib/systemd/systemd --unit=box.target --log-target=journal --show-status=no </dev/null
