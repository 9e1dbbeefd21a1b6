"""Schedule expressions: ``rate(...)``, six-field ``cron(...)`` and ``at(...)``, parsed as AWS does.

Pure functions, used on both sides (moto's server validates with them, the account
fires with them).  :func:`parse` returns an expression whose :meth:`~Expression.next_after`
gives the next firing strictly after an instant (epoch seconds), evaluated in a time
zone (zoneinfo, daylight-saving transitions included: a local time that does not
exist on the spring-forward day is skipped, one that happens twice on the fall-back
day runs once, at its first occurrence, as EventBridge Scheduler documents).

EventBridge rules answer a bad expression with ``Parameter ScheduleExpression is not
valid.``; EventBridge Scheduler with ``Invalid Schedule Expression <expr>.``
(:data:`RULE_MESSAGE`, :func:`scheduler_message`).
"""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

RULE_MESSAGE = "Parameter ScheduleExpression is not valid."

_RATE = re.compile(r"rate\(([1-9][0-9]*) (minute|minutes|hour|hours|day|days)\)")
_AT = re.compile(r"at\((\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})\)")
_UNIT_S = {"minute": 60, "hour": 3_600, "day": 86_400}
_MONTHS = {
    name: i + 1
    for i, name in enumerate(["JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"])
}
_DAYS = {"SUN": 1, "MON": 2, "TUE": 3, "WED": 4, "THU": 5, "FRI": 6, "SAT": 7}
_FIELD_RANGES = ((0, 59), (0, 23), (1, 31), (1, 12), (1, 7), (1970, 2199))
_LAST_YEAR = 2199


class ScheduleExpressionError(ValueError):
    """The expression is not one AWS accepts."""


def scheduler_message(expression: str) -> str:
    """EventBridge Scheduler's message for a bad expression (echoed verbatim)."""
    return f"Invalid Schedule Expression {expression}."


@dataclass(frozen=True)
class Expression:
    """A parsed schedule expression (``kind`` is ``rate``, ``cron`` or ``at``)."""

    text: str
    kind: str

    def next_after(self, t: float, tz: str = "UTC", anchor: float | None = None) -> float | None:
        """The first firing strictly after epoch second ``t`` (None: never again)."""
        raise NotImplementedError


@dataclass(frozen=True)
class Rate(Expression):
    period_s: int = 60

    def next_after(self, t: float, tz: str = "UTC", anchor: float | None = None) -> float | None:
        """Firings at ``anchor + k * period`` for k >= 1 (a rate first fires one period after
        its anchor: creation, or the StartDate); ``rate(n days)`` is 24-hour durations."""
        base = t if anchor is None else anchor
        if t < base + self.period_s:
            return base + self.period_s
        k = int((t - base) // self.period_s) + 1
        return base + k * self.period_s


@dataclass(frozen=True)
class At(Expression):
    wall: datetime = datetime(1970, 1, 1)

    def instant(self, tz: str = "UTC") -> float:
        """The one firing, the local wall time in ``tz`` (a nonexistent one moves forward)."""
        return _to_instant(self.wall, _zone(tz)) or _to_instant(self.wall + timedelta(hours=1), _zone(tz)) or 0.0

    def next_after(self, t: float, tz: str = "UTC", anchor: float | None = None) -> float | None:
        at = self.instant(tz)
        return at if at > t else None


@dataclass(frozen=True)
class _Field:
    values: frozenset[int]
    any: bool = False  # ``*`` or ``?``


@dataclass(frozen=True)
class Cron(Expression):
    minutes: tuple[int, ...] = ()
    hours: tuple[int, ...] = ()
    months: frozenset[int] = frozenset()
    years: tuple[int, ...] = ()
    #: Day-of-month: a set of days, plus ``L`` (last day), ``nW``/``LW`` (nearest weekday).
    dom: str = "?"
    #: Day-of-week: ``?``, a set of days (1 = Sunday), ``nL`` (last n-day) or ``n#k``.
    dow: str = "?"

    def next_after(self, t: float, tz: str = "UTC", anchor: float | None = None) -> float | None:
        zone = _zone(tz)
        start = datetime.fromtimestamp(t, zone).replace(tzinfo=None)
        start_day = start.date()
        for year in self.years:
            if year < start_day.year:
                continue
            for month in sorted(self.months):
                if (year, month) < (start_day.year, start_day.month):
                    continue
                for day in range(1, calendar.monthrange(year, month)[1] + 1):
                    if (year, month, day) < (start_day.year, start_day.month, start_day.day):
                        continue
                    if not self._day_matches(year, month, day):
                        continue
                    for hour in self.hours:
                        for minute in self.minutes:
                            wall = datetime(year, month, day, hour, minute)
                            if wall < start.replace(second=0, microsecond=0):
                                continue
                            instant = _to_instant(wall, zone)
                            if instant is not None and instant > t:
                                return instant
        return None

    def _day_matches(self, year: int, month: int, day: int) -> bool:
        last = calendar.monthrange(year, month)[1]
        weekday = (calendar.weekday(year, month, day) + 1) % 7 + 1  # 1 = Sunday ... 7 = Saturday
        if self.dom != "?":
            return _dom_matches(self.dom, year, month, day, last)
        return _dow_matches(self.dow, day, weekday, last)


def _dom_matches(spec: str, year: int, month: int, day: int, last: int) -> bool:
    for part in spec.split(","):
        if part == "L":
            if day == last:
                return True
        elif part.endswith("W"):
            target = last if part == "LW" else int(part[:-1])
            if target <= last and _nearest_weekday(year, month, target, last) == day:
                return True
        elif int(part) == day:
            return True
    return False


def _nearest_weekday(year: int, month: int, target: int, last: int) -> int:
    """The weekday nearest ``target`` within the month (``15W``)."""
    weekday = calendar.weekday(year, month, target)  # 0 = Monday
    if weekday == 5:  # Saturday: Friday, or Monday when the 1st is a Saturday
        return target - 1 if target > 1 else target + 2
    if weekday == 6:  # Sunday: Monday, or Friday when the Sunday is the last day
        return target + 1 if target < last else target - 2
    return target


def _dow_matches(spec: str, day: int, weekday: int, last: int) -> bool:
    for part in spec.split(","):
        if part.endswith("L"):
            if int(part[:-1]) == weekday and day + 7 > last:
                return True
        elif "#" in part:
            wanted, nth = (int(x) for x in part.split("#"))
            if wanted == weekday and (day - 1) // 7 + 1 == nth:
                return True
        elif int(part) == weekday:
            return True
    return False


# --- parsing -----------------------------------------------------------------------------------


def parse(expression: str, *, scheduler: bool = False) -> Expression:
    """Parse ``expression`` (``scheduler=True``: EventBridge Scheduler, which also takes ``at()``)."""
    if not isinstance(expression, str):
        raise ScheduleExpressionError(str(expression))
    rate = _RATE.fullmatch(expression)
    if rate:
        value, unit = int(rate.group(1)), rate.group(2)
        if (value == 1) != (not unit.endswith("s")):
            raise ScheduleExpressionError(expression)  # singular for 1, plural otherwise
        return Rate(expression, "rate", value * _UNIT_S[unit.rstrip("s")])
    if expression.startswith("cron(") and expression.endswith(")"):
        return _parse_cron(expression)
    if scheduler:
        at = _AT.fullmatch(expression)
        if at:
            try:
                year, month, day, hour, minute, second = (int(g) for g in at.groups())
                wall = datetime(year, month, day, hour, minute, second)
            except ValueError:
                raise ScheduleExpressionError(expression) from None
            return At(expression, "at", wall)
    raise ScheduleExpressionError(expression)


def check_rule_expression(expression: str) -> Expression:
    """A rule's expression, or ``ScheduleExpressionError(RULE_MESSAGE)``."""
    try:
        return parse(expression)
    except ScheduleExpressionError:
        raise ScheduleExpressionError(RULE_MESSAGE) from None


def check_scheduler_expression(expression: str) -> Expression:
    """A schedule's expression, or ``ScheduleExpressionError(scheduler_message(expression))``."""
    try:
        return parse(expression, scheduler=True)
    except ScheduleExpressionError:
        raise ScheduleExpressionError(scheduler_message(expression)) from None


def _parse_cron(expression: str) -> Cron:
    body = expression[len("cron(") : -1]
    fields = body.split(" ")
    if len(fields) != 6 or any(not f for f in fields):
        raise ScheduleExpressionError(expression)
    minute, hour, dom, month, dow, year = fields
    try:
        minutes = _values(minute, 0, "*/,-")
        hours = _values(hour, 1, "*/,-")
        months = _values(month, 3, "*/,-", names=_MONTHS)
        years = _values(year, 5, "*/,-")
        dom_spec = _day_of_month(dom)
        dow_spec = _day_of_week(dow)
    except (ValueError, KeyError):
        raise ScheduleExpressionError(expression) from None
    if (dom_spec == "?") == (dow_spec == "?"):
        raise ScheduleExpressionError(expression)  # exactly one of the day fields is ``?``
    return Cron(
        expression,
        "cron",
        tuple(sorted(minutes)),
        tuple(sorted(hours)),
        frozenset(months),
        tuple(sorted(years)),
        dom_spec,
        dow_spec,
    )


def _number(text: str, index: int, names: dict[str, int] | None) -> int:
    low, high = _FIELD_RANGES[index]
    if names and text.upper() in names and text.isalpha():
        return names[text.upper()]
    if not text.isdigit():
        raise ValueError(text)
    value = int(text)
    if not low <= value <= high:
        raise ValueError(text)
    return value


def _values(spec: str, index: int, allowed: str, names: dict[str, int] | None = None) -> set[int]:
    """The values of a numeric field: ``*``, ``n``, ``a-b``, ``a/step``, ``a-b/step``, lists."""
    low, high = _FIELD_RANGES[index]
    found: set[int] = set()
    for part in spec.split(","):
        if not part:
            raise ValueError(spec)
        base, slash, step_text = part.partition("/")
        step = 1
        if slash:
            if "/" not in allowed or not step_text.isdigit() or int(step_text) == 0:
                raise ValueError(part)
            step = int(step_text)
        if base == "*":
            first, last = low, high
        elif "-" in base:
            a, _, b = base.partition("-")
            first, last = _number(a, index, names), _number(b, index, names)
        else:
            first = _number(base, index, names)
            last = high if slash else first
        span = (last - first) % (high - low + 1)  # a range may wrap (FRI-MON, 22-2)
        found.update(low + (first - low + k) % (high - low + 1) for k in range(0, span + 1, step))
    return found


def _day_of_month(spec: str) -> str:
    if spec == "?":
        return "?"
    if spec == "*":
        return ",".join(str(d) for d in range(1, 32))
    if spec in ("L", "LW"):
        return spec
    if spec.endswith("W"):
        _number(spec[:-1], 2, None)
        return spec
    return ",".join(str(d) for d in sorted(_values(spec, 2, "*/,-")))


def _day_of_week(spec: str) -> str:
    if spec == "?":
        return "?"
    if spec == "L":
        return "7L"
    if "#" in spec:
        if "," in spec or spec.count("#") != 1:
            raise ValueError(spec)  # one ``#`` expression, alone
        day, _, nth = spec.partition("#")
        if not nth.isdigit() or not 1 <= int(nth) <= 5:
            raise ValueError(spec)
        return f"{_number(day, 4, _DAYS)}#{int(nth)}"
    if spec.endswith("L") and len(spec) > 1:
        return f"{_number(spec[:-1], 4, _DAYS)}L"
    if "/" in spec:
        raise ValueError(spec)  # no increments in day-of-week
    return ",".join(str(d) for d in sorted(_values(spec, 4, "*,-", names=_DAYS)))


# --- time zones ----------------------------------------------------------------------------------


def check_timezone(name: str) -> str:
    """``name`` if zoneinfo knows it (``ScheduleExpressionError`` otherwise)."""
    _zone(name)
    return name


def _zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name or "UTC")
    except (ZoneInfoNotFoundError, ValueError):
        raise ScheduleExpressionError(f"Invalid time zone {name}.") from None


def _to_instant(wall: datetime, zone: ZoneInfo) -> float | None:
    """The epoch second of a local wall time (its first occurrence), None if it does not exist."""
    first = wall.replace(tzinfo=zone, fold=0)
    instant = first.timestamp()
    back = datetime.fromtimestamp(instant, zone).replace(tzinfo=None)
    if back != wall:
        return None  # skipped by a spring-forward transition
    return instant


def iso(instant: float) -> str:
    """``2026-03-29T00:30:00Z``: the ``time`` of a scheduled event (seconds, UTC)."""
    return datetime.fromtimestamp(instant, timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
