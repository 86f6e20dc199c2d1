"""Patches to moto 5.2.5's CloudWatch alarms where it differs from AWS (CloudWatch API reference:
DescribeAlarms, DescribeAlarmHistory, PutCompositeAlarm, MetricAlarm, CompositeAlarm), so that
the rollout gate's tests believe what AWS does. Each patch is named after the AWS behaviour it
restores; the self-tests are in __tests__/rollout/alarms.emulator.test.ts."""
import json
from datetime import datetime, timezone

from moto.cloudwatch import models as cw
from moto.cloudwatch.exceptions import InvalidParameterCombination, ValidationError
from moto.cloudwatch.responses import CloudWatchResponse
from moto.core.responses import ActionResult, EmptyResult
from moto.core.utils import utcnow


def _type(alarm) -> str:
    return "CompositeAlarm" if alarm.rule is not None else "MetricAlarm"


# --- A new alarm starts in INSUFFICIENT_DATA (moto: OK), and knows when its state last changed -
# (StateTransitionedTimestamp, which moto does not return) and every change (alarm history).
_alarm_init = cw.Alarm.__init__


def _alarm_init_insufficient(self, *args, **kwargs):
    _alarm_init(self, *args, **kwargs)
    self.state_value = "INSUFFICIENT_DATA"
    self.state_transitioned_timestamp = self.state_updated_timestamp
    self.state_history = []


cw.Alarm.__init__ = _alarm_init_insufficient


def _update_state(self, reason, reason_data, state_value):
    now = utcnow()
    if state_value != self.state_value:
        self.state_history.append(
            {
                "AlarmName": self.name,
                "AlarmType": _type(self),
                "Timestamp": now,
                "HistoryItemType": "StateUpdate",
                "HistorySummary": f"Alarm updated from {self.state_value} to {state_value}",
                "HistoryData": json.dumps(
                    {
                        "version": "1.0",
                        "oldState": {"stateValue": self.state_value, "stateReason": self.state_reason},
                        "newState": {"stateValue": state_value, "stateReason": reason},
                    }
                ),
            }
        )
        self.state_transitioned_timestamp = now
    self.state_reason = reason
    self.state_reason_data = reason_data
    self.state_value = state_value
    self.state_updated_timestamp = now


cw.Alarm.update_state = _update_state


def _page(items, token, max_records):
    start = int(token) if token else 0
    end = start + max_records
    return items[start:end], (str(end) if end < len(items) else None)


# --- DescribeAlarms: AlarmTypes (omitted: metric alarms only), at most 100 AlarmNames, not with
# AlarmNamePrefix, and pages of MaxRecords (moto: every alarm of every type on one page) -------
_describe_alarms = CloudWatchResponse.describe_alarms


def _describe_alarms_as_aws(self):
    names = self._get_param("AlarmNames", [])
    if names and self._get_param("AlarmNamePrefix"):
        raise InvalidParameterCombination(
            "AlarmNamePrefix and AlarmNames cannot be specified together"
        )
    if len(names) > 100:
        raise ValidationError(
            "1 validation error detected: Value at 'alarmNames' failed to satisfy constraint: "
            "Member must have length less than or equal to 100"
        )
    types = self._get_param("AlarmTypes", []) or ["MetricAlarm"]
    found = _describe_alarms(self).result
    alarms = sorted(
        [a for a in found["MetricAlarms"] + found["CompositeAlarms"] if _type(a) in types],
        key=lambda a: a.name,
    )
    page, token = _page(alarms, self._get_param("NextToken"), int(self._get_param("MaxRecords") or 50))
    result = {
        "MetricAlarms": [a for a in page if a.rule is None],
        "CompositeAlarms": [a for a in page if a.rule is not None],
    }
    if token is not None:
        result["NextToken"] = token
    return ActionResult(result)


CloudWatchResponse.describe_alarms = _describe_alarms_as_aws


# --- DescribeAlarmHistory (moto: not implemented): state changes, newest first by default -----
def _aware(value):
    if value is None or value == "":
        return None
    if isinstance(value, str):
        value = datetime.fromisoformat(value.replace("Z", "+00:00"))
    return value if value.tzinfo is not None else value.replace(tzinfo=timezone.utc)


def _describe_alarm_history(self):
    name = self._get_param("AlarmName")
    types = self._get_param("AlarmTypes", []) or ["MetricAlarm"]
    item_type = self._get_param("HistoryItemType")
    start, end = _aware(self._get_param("StartDate")), _aware(self._get_param("EndDate"))
    items = []
    for alarm in self.cloudwatch_backend.alarms.values():
        if (name and alarm.name != name) or _type(alarm) not in types:
            continue
        for item in getattr(alarm, "state_history", []):
            at = _aware(item["Timestamp"])
            if item_type and item["HistoryItemType"] != item_type:
                continue
            if (start is not None and at < start) or (end is not None and at > end):
                continue
            items.append(item)
    items.sort(
        key=lambda i: _aware(i["Timestamp"]),
        reverse=(self._get_param("ScanBy") or "TimestampDescending") == "TimestampDescending",
    )
    page, token = _page(items, self._get_param("NextToken"), int(self._get_param("MaxRecords") or 100))
    result = {"AlarmHistoryItems": page}
    if token is not None:
        result["NextToken"] = token
    return ActionResult(result)


CloudWatchResponse.describe_alarm_history = _describe_alarm_history


# --- PutCompositeAlarm (moto: not implemented). Its state is set with SetAlarmState here; AWS
# also derives it from the AlarmRule, which nothing in the action depends on. -----------------
def _put_composite_alarm(self):
    self.cloudwatch_backend.put_metric_alarm(
        name=self._get_param("AlarmName"),
        namespace=None,
        metric_name=None,
        comparison_operator=None,
        evaluation_periods=None,
        period=None,
        threshold=None,
        statistic=None,
        description=self._get_param("AlarmDescription"),
        dimensions=[],
        alarm_actions=self._get_param("AlarmActions", []),
        ok_actions=self._get_param("OKActions", []),
        insufficient_data_actions=self._get_param("InsufficientDataActions", []),
        actions_enabled=self._get_param("ActionsEnabled"),
        rule=self._get_param("AlarmRule"),
        tags=self._get_param("Tags", []),
    )
    return EmptyResult()


CloudWatchResponse.put_composite_alarm = _put_composite_alarm
