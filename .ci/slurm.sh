#!/usr/bin/env bash
# A throw-away single-node SLURM cluster on THIS machine, for CI (tests/test_slurm.py).
#
#   bash .ci/slurm.sh up     install slurm-wlm + munge if missing, start munged, slurmctld, slurmd;
#                            wait until the node is idle and `srun -N1 true` works (exit 1 otherwise)
#   bash .ci/slurm.sh down   stop slurmd, slurmctld and munged (never fails)
#
# Run as root. Idempotent: a second `up` keeps running daemons (restarting them only when
# slurm.conf changed). No systemd, no cgroups, no accounting (so no sacct: use
# `--slurm-status-command squeue`), one partition `ci` holding this machine.
set -uo pipefail

CONF_DIR=/etc/slurm
CONF=$CONF_DIR/slurm.conf
STATE_DIR=/var/lib/slurm/slurmctld
SPOOL_DIR=/var/lib/slurm/slurmd
LOG_DIR=/var/log/slurm
RUN_DIR=/run/slurm
CTLD_PID=$RUN_DIR/slurmctld.pid
SLURMD_PID=$RUN_DIR/slurmd.pid
MUNGE_KEY=/etc/munge/munge.key
MUNGE_RUN=/run/munge
MUNGE_PID=$MUNGE_RUN/munged.pid
WAIT_S=${SLURM_UP_TIMEOUT:-60}

log() { echo "slurm.sh: $*" >&2; }
die() {
    log "ERROR: $*"
    show_logs
    exit 1
}

show_logs() {
    local f
    for f in "$LOG_DIR/slurmctld.log" "$LOG_DIR/slurmd.log" /var/log/munge/munged.log; do
        [ -s "$f" ] || continue
        echo "----- last lines of $f -----" >&2
        tail -n 25 "$f" >&2
    done
    if command -v sinfo >/dev/null; then
        echo "----- sinfo -----" >&2
        timeout 10 sinfo -N -l >&2 2>&1 || true
        timeout 10 scontrol show node 2>&1 | grep -E "State=|Reason=" >&2 || true
    fi
}

# Is the process in this pid file alive?
alive() { [ -s "$1" ] && kill -0 "$(cat "$1")" 2>/dev/null; }

# Stop the process in pid file $1 (or, without one, the root processes named exactly $2).
stop() {
    local pidfile=$1 name=$2 pids="" i
    if [ -s "$pidfile" ]; then pids=$(cat "$pidfile"); fi
    [ -n "$pids" ] && kill -0 $pids 2>/dev/null || pids=$(pgrep -x -u root,munge "$name" 2>/dev/null || true)
    [ -z "$pids" ] && { rm -f "$pidfile"; return 0; }
    kill -TERM $pids 2>/dev/null || true
    for i in $(seq 1 20); do
        kill -0 $pids 2>/dev/null || break
        sleep 0.5
    done
    kill -KILL $pids 2>/dev/null || true
    rm -f "$pidfile"
    log "stopped $name ($pids)"
}

install_packages() {
    if command -v slurmctld >/dev/null && command -v slurmd >/dev/null && command -v munged >/dev/null \
        && command -v sbatch >/dev/null; then
        return 0
    fi
    log "installing slurm-wlm and munge with apt-get"
    export DEBIAN_FRONTEND=noninteractive
    timeout 600 apt-get update -qq || die "apt-get update failed"
    timeout 900 apt-get install -y -qq --no-install-recommends slurm-wlm munge >/dev/null \
        || die "apt-get install slurm-wlm munge failed"
}

start_munge() {
    mkdir -p /etc/munge "$MUNGE_RUN" /var/lib/munge /var/log/munge
    if [ ! -s "$MUNGE_KEY" ]; then
        log "creating $MUNGE_KEY"
        if command -v mungekey >/dev/null; then
            mungekey --create --keyfile="$MUNGE_KEY" --force
        else
            dd if=/dev/urandom of="$MUNGE_KEY" bs=1 count=1024 status=none
        fi
    fi
    chown munge:munge /etc/munge "$MUNGE_KEY" "$MUNGE_RUN" /var/lib/munge /var/log/munge
    chmod 700 /etc/munge /var/log/munge
    chmod 400 "$MUNGE_KEY"
    chmod 755 "$MUNGE_RUN"
    if alive "$MUNGE_PID" && timeout 10 munge -n </dev/null | timeout 10 unmunge >/dev/null 2>&1; then
        return 0
    fi
    stop "$MUNGE_PID" munged
    log "starting munged"
    runuser -u munge -- /usr/sbin/munged 2>/dev/null \
        || runuser -u munge -- /usr/sbin/munged --force \
        || die "munged did not start"
    local i
    for i in $(seq 1 20); do
        if timeout 10 munge -n </dev/null | timeout 10 unmunge >/dev/null 2>&1; then return 0; fi
        sleep 0.5
    done
    die "munge does not work: $(munge -n </dev/null 2>&1 | unmunge 2>&1 | tail -n 3)"
}

write_conf() {
    local host cpus mem hw topology
    host=$(hostname -s)
    cpus=$(nproc)
    hw=$(timeout 20 slurmd -C 2>/dev/null | grep '^NodeName=' || true)
    [ -n "$hw" ] || die "slurmd -C printed no NodeName line"
    mem=$(sed -n 's/.*RealMemory=\([0-9]*\).*/\1/p' <<<"$hw")
    [ -n "$mem" ] || die "no RealMemory in: $hw"
    mem=$((mem * 95 / 100))  # a bit under what the node reports, or slurmctld drains it
    # The detected topology when it agrees with nproc; else just the count nproc sees.
    if [ "$(sed -n 's/.* CPUs=\([0-9]*\).*/\1/p' <<<"$hw")" = "$cpus" ]; then
        topology=$(grep -o 'Boards=[0-9]* SocketsPerBoard=[0-9]* CoresPerSocket=[0-9]* ThreadsPerCore=[0-9]*' <<<"$hw" || true)
    fi
    mkdir -p "$CONF_DIR"
    cat >"$CONF.new" <<EOF
# Written by .ci/slurm.sh: a single-node CI cluster on this machine. Do not edit.
ClusterName=ci
SlurmctldHost=$host(127.0.0.1)
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
CredType=cred/munge
MpiDefault=none
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SwitchType=switch/none
SelectType=select/cons_tres
SelectTypeParameters=CR_Core_Memory
SchedulerType=sched/backfill
AccountingStorageType=accounting_storage/none
JobAcctGatherType=jobacct_gather/none
JobCompType=jobcomp/none
MailProg=/bin/true
SlurmdParameters=config_overrides
ReturnToService=2
StateSaveLocation=$STATE_DIR
SlurmdSpoolDir=$SPOOL_DIR
SlurmctldPidFile=$CTLD_PID
SlurmdPidFile=$SLURMD_PID
SlurmctldLogFile=$LOG_DIR/slurmctld.log
SlurmdLogFile=$LOG_DIR/slurmd.log
SlurmctldDebug=info
SlurmdDebug=info
SlurmctldTimeout=30
SlurmdTimeout=30
MessageTimeout=10
BatchStartTimeout=20
InactiveLimit=0
KillWait=5
WaitTime=0
# Finished jobs stay visible to squeue for 5 minutes (the SLURM plugin's squeue status checks).
MinJobAge=300
NodeName=$host NodeAddr=127.0.0.1 CPUs=$cpus ${topology:-} RealMemory=$mem State=UNKNOWN
# jobs that ask for no memory get 1 GB a CPU, not the whole node
PartitionName=ci Nodes=$host Default=YES MaxTime=INFINITE DefMemPerCPU=1000 State=UP
EOF
    if cmp -s "$CONF.new" "$CONF"; then
        rm -f "$CONF.new"
        return 1  # unchanged
    fi
    mv "$CONF.new" "$CONF"
    log "wrote $CONF (NodeName=$host CPUs=$cpus RealMemory=$mem)"
    return 0
}

start_slurm() {
    mkdir -p "$STATE_DIR" "$SPOOL_DIR" "$LOG_DIR" "$RUN_DIR"
    if write_conf; then
        # a new configuration: restart whatever runs with the old one
        stop "$SLURMD_PID" slurmd
        stop "$CTLD_PID" slurmctld
    fi
    if ! alive "$CTLD_PID"; then
        log "starting slurmctld"
        /usr/sbin/slurmctld || die "slurmctld did not start"
    fi
    if ! alive "$SLURMD_PID"; then
        log "starting slurmd"
        /usr/sbin/slurmd || die "slurmd did not start"
    fi
}

wait_ready() {
    local deadline=$((SECONDS + WAIT_S)) state=""
    while [ $SECONDS -lt $deadline ]; do
        state=$(timeout 10 sinfo -h -N -p ci -o %T 2>/dev/null | head -n 1)
        case $state in
            idle | mixed | allocated) break ;;
            drain* | down*)
                # ReturnToService=2 revives it once slurmd registers; nudge it anyway
                timeout 10 scontrol update NodeName="$(hostname -s)" State=RESUME >/dev/null 2>&1 || true ;;
        esac
        sleep 1
    done
    case $state in
        idle | mixed | allocated) ;;
        *) die "node not idle after ${WAIT_S}s (state: '${state:-no answer from slurmctld}')" ;;
    esac
    if [ "$state" = allocated ]; then
        log "node busy with jobs already: skipping the srun test"
    else
        local left=$((deadline - SECONDS)) out
        [ $left -lt 20 ] && left=20
        out=$(timeout "$left" srun -N1 -n1 -p ci -t 1 --mem=64 true 2>&1) || die "'srun -N1 true' failed: ${out:-timed out after ${left}s}"
    fi
    log "ready: node $(hostname -s) $state in partition ci ($(nproc) CPUs)"
}

up() {
    [ "$(id -u)" = 0 ] || die "run as root"
    install_packages
    start_munge
    start_slurm
    wait_ready
}

down() {
    # jobs still queued or running (an interrupted test) would outlive slurmd
    if alive "$CTLD_PID" && [ -n "$(timeout 10 squeue -h -p ci -o %i 2>/dev/null)" ]; then
        timeout 10 scancel -p ci >/dev/null 2>&1 || true
        sleep 2
    fi
    stop "$SLURMD_PID" slurmd
    stop "$CTLD_PID" slurmctld
    stop "$MUNGE_PID" munged
    return 0
}

case ${1:-} in
    up) up ;;
    down) down || true; exit 0 ;;
    *) echo "usage: $0 up|down" >&2; exit 2 ;;
esac
