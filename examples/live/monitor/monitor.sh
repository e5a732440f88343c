#!/bin/sh
# A stand-in for Prometheus + Alertmanager: polls the api's /health every $EVERY
# seconds (each check waits at most $TIMEOUT seconds) and, after $FAILURES failures
# in a row, POSTs an Alertmanager (webhook version 4) "firing" notification for
# ApiDown to $DRILLBIT_RECEIVER/alertmanager; after $SUCCESSES successes in a row,
# the same alert "resolved". Without DRILLBIT_RECEIVER it only logs. A POST that
# fails is tried again on the next poll, as Alertmanager retries a receiver that did
# not answer.
url="${HEALTH_URL:-http://127.0.0.1:18080/health}"
every="${EVERY:-1}"
timeout="${TIMEOUT:-2}"
failures_needed="${FAILURES:-3}"
successes_needed="${SUCCESSES:-3}"
severity="${ALERT_SEVERITY:-P1}"
service="${ALERT_SERVICE:-api}"
stack="${STACK:-drillbit-example}"

fails=0
oks=0
firing=0
started=""
fingerprint=$(printf 'ApiDown %s %s' "$service" "$stack" | sha256sum | cut -c1-16)

now() { date -u +%Y-%m-%dT%H:%M:%SZ; }

payload() {  # $1 firing|resolved, $2 endsAt
    labels="{\"alertname\":\"ApiDown\",\"severity\":\"$severity\",\"service\":\"$service\",\"stack\":\"$stack\"}"
    annotations="{\"summary\":\"$url failed $failures_needed checks in a row\"}"
    printf '{"version":"4","groupKey":"{}:{alertname=\\"ApiDown\\"}","truncatedAlerts":0,'
    printf '"status":"%s","receiver":"drillbit","groupLabels":{"alertname":"ApiDown"},' "$1"
    printf '"commonLabels":%s,"commonAnnotations":%s,"externalURL":"http://127.0.0.1/monitor",' "$labels" "$annotations"
    printf '"alerts":[{"status":"%s","labels":%s,"annotations":%s,' "$1" "$labels" "$annotations"
    printf '"startsAt":"%s","endsAt":"%s","generatorURL":"%s","fingerprint":"%s"}]}' "$started" "$2" "$url" "$fingerprint"
}

send() {  # $1 firing|resolved, $2 endsAt; succeeds when the receiver took it (or there is none)
    if [ -z "$DRILLBIT_RECEIVER" ]; then
        echo "$(now) ApiDown $1 (DRILLBIT_RECEIVER is not set: not sent)"
        return 0
    fi
    if timeout 5 wget -q -O /dev/null --header 'Content-Type: application/json' \
            --post-data "$(payload "$1" "$2")" "$DRILLBIT_RECEIVER/alertmanager" 2>/dev/null; then
        echo "$(now) ApiDown $1: sent to $DRILLBIT_RECEIVER/alertmanager"
        return 0
    fi
    echo "$(now) ApiDown $1: $DRILLBIT_RECEIVER/alertmanager did not take it; trying again"
    return 1
}

echo "$(now) watching $url every ${every}s (alerting after $failures_needed failures)"
while :; do
    if timeout "$timeout" wget -q -O /dev/null "$url" 2>/dev/null; then
        oks=$((oks + 1)); fails=0
    else
        fails=$((fails + 1)); oks=0
    fi
    if [ "$firing" = 0 ] && [ "$fails" -ge "$failures_needed" ]; then
        [ -n "$started" ] || started=$(now)
        send firing "0001-01-01T00:00:00Z" && firing=1
    elif [ "$firing" = 1 ] && [ "$oks" -ge "$successes_needed" ]; then
        send resolved "$(now)" && { firing=0; started=""; }
    fi
    sleep "$every"
done
