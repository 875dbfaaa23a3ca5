"""The invoker driven from outside by a Hypothesis state machine (issue 12).

Functions are registered with destinations pointing at each other's names and at SQS/SNS ARNs;
events are invoked (with duplicates) and played out with run() and advance(), among injected
failures, throttles and configuration changes.  Invariants, read from fields, never from text:

- every accepted Event delivery (the timeline's ``Invoked`` entries, ``1 + detail.duplicates``
  each) ends in exactly one terminal outcome once the queue is played out, and never in two;
- the clock never goes back;
- a delivery gets at most ``1 + max_retry_attempts`` attempts;
- the same seed and the same operations give the same timeline (checked in the teardown, by
  replaying the recorded operations on a fresh invoker).

Destinations may form a cycle (a's on_failure -> b, b's -> a): loop detection ends it after 16
invocations of each function per event (LOOP-1).  Two limits keep an example's time reasonable:
a cycle's members keep ``max_retry_attempts=0`` (a cycle plays 16 invocations of each member per
event, each with up to three attempts otherwise), and cycles form only in examples without random
duplicates (``duplicate_rate=0``): each queued copy of a record sends its own record on, so with
duplicate_rate 0.25 an event's chain grows by a factor 1.25 per hop, about 1,300 times over 32 hops
(one such example took 488 s).  There, a destination closing a cycle becomes an SQS queue.  DLQs are
SQS and SNS ARNs (a function name is refused, DLQ-1).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import sys
import time
from collections import Counter
from typing import Any

from hypothesis import event as coverage_event, settings
from hypothesis import strategies as st
from hypothesis.stateful import Bundle, RuleBasedStateMachine, initialize, invariant, multiple, rule

from pytest_lambda_async import Invoked, LambdaInvoker, LoopStopped, ResourceConflictException, TooManyRequestsException

T0 = dt.datetime(2024, 1, 1, tzinfo=dt.timezone.utc)
NAMES = ("a", "b", "c", "d")
QUEUE = "arn:aws:sqs:us-east-1:123456789012:records"
FIFO = "arn:aws:sqs:us-east-1:123456789012:records.fifo"  # accepted, then each delivery fails (CFG-5, DST-6)
TOPIC = "arn:aws:sns:us-east-1:123456789012:records"
DLQ = "arn:aws:sqs:us-east-1:123456789012:dlq"
DLQ_TOPIC = "arn:aws:sns:us-east-1:123456789012:dlq"
AGES = (60, 90, 200, 3600, 21600)


def ok(event: Any, context: Any) -> Any:
    return {"ok": True}


def boom(event: Any, context: Any) -> Any:
    raise RuntimeError("boom")


def slow(event: Any, context: Any) -> Any:
    time.sleep(5)  # past its 3 s timeout: Sandbox.Timedout, and the clock moves to start + 3


HANDLERS = {"ok": ok, "boom": boom, "slow": slow}

# One operation as data, so that a run can be replayed: (kind, *arguments).
Op = tuple[Any, ...]


def apply(inv: LambdaInvoker, op: Op) -> Any:
    """Do one operation on ``inv``; what it answered, for the replay to compare."""
    kind = op[0]
    if kind == "register":
        _, name, behaviour, config = op
        try:
            inv.register(name, HANDLERS[behaviour], **config)
        except ResourceConflictException as exc:  # the name is taken
            return exc.code
        return None
    if kind == "event":
        _, name, n, duplicates = op
        return inv.invoke(name, {"n": n}, invocation_type="Event", duplicates=duplicates).request_id
    if kind == "sync":
        _, name, n = op
        try:
            r = inv.invoke(name, {"n": n})
        except TooManyRequestsException as exc:  # throttle_next, or reserved concurrency 0 (INV-23, Q-5)
            return ("429", exc.reason)
        return (r.status_code, r.request_id, r.function_error)
    if kind == "run":
        return len(inv.run())
    if kind == "advance":
        return len(inv.advance(op[1]))
    if kind == "fail_next":
        inv.function(op[1]).fail_next(op[2])
        return None
    if kind == "throttle_next":
        inv.function(op[1]).throttle_next(op[2])
        return None
    if kind == "configure":
        inv.function(op[1]).configure(**op[2])
        return None
    raise AssertionError(f"unknown operation {op!r}")


def reaches(edges: dict[str, set[str]], start: str, goal: str) -> bool:
    """Whether ``goal`` can be reached from ``start`` along Lambda destinations."""
    seen, todo = set(), [start]
    while todo:
        here = todo.pop()
        if here == goal:
            return True
        if here not in seen:
            seen.add(here)
            todo.extend(edges.get(here, ()))
    return False


def accepted_deliveries(inv: LambdaInvoker) -> Counter[str]:
    """Event deliveries per request id: each accepted Event invocation and its extra copies (Q-2), and
    each Event invocation accepted and then stopped as a recursive loop (202, then failure handling: LOOP-3)."""
    deliveries: Counter[str] = Counter()
    for entry in inv.timeline_entries:
        if isinstance(entry.detail, Invoked) and entry.detail.invocation_type == "Event":
            deliveries[entry.request_id] += 1 + entry.detail.duplicates
        elif isinstance(entry.detail, LoopStopped) and entry.detail.invocation_type == "Event":
            deliveries[entry.request_id] += 1
    return deliveries


destinations = st.sampled_from([None, None, QUEUE, FIFO, TOPIC, *NAMES])
registrations = st.fixed_dictionaries({
    "behaviour": st.sampled_from(sorted(HANDLERS)), "on_success": destinations, "on_failure": destinations,
    "dead_letter": st.sampled_from([None, DLQ, DLQ_TOPIC]), "max_retry_attempts": st.integers(0, 2),
    "maximum_event_age": st.sampled_from(AGES), "reserved_concurrency": st.sampled_from([None, None, None, 0, 1]),
})
functions = Bundle("functions")  # names of registered functions


class InvokerMachine(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        self.stack = contextlib.ExitStack()
        self.inv: LambdaInvoker | None = None
        self.seed = 0
        self.rate = 0.0
        self.ops: list[Op] = []
        self.answers: list[Any] = []
        self.registered: list[str] = []
        self.edges: dict[str, set[str]] = {}  # Lambda destinations: function -> functions it sends records to
        self.most_retries: dict[str, int] = {}  # the largest max_retry_attempts each function ever had
        self.in_cycle: set[str] = set()  # functions on a destination cycle: they keep max_retry_attempts=0
        self.last_now = T0

    @property
    def live(self) -> LambdaInvoker:
        assert self.inv is not None
        return self.inv

    def do(self, op: Op) -> Any:
        self.ops.append(op)
        answer = apply(self.live, op)
        self.answers.append(answer)
        return answer

    @initialize(target=functions, seed=st.integers(0, 2**32 - 1), rate=st.sampled_from([0.0, 0.0, 0.25]),
                function=registrations, queued=st.integers(1, 3))
    def start(self, seed: int, rate: float, function: dict[str, Any], queued: int) -> str:
        """A fresh invoker, with its first function and a few events queued for it (so every rule has a
        function to work on, and every example events to play out: Hypothesis often repeats one rule
        all through an example, and a run of configure() alone would show nothing)."""
        self.seed, self.rate = seed, rate
        self.inv = self.stack.enter_context(LambdaInvoker(seed=seed, start=T0, duplicate_rate=rate))
        name = self.add_function(NAMES[0], **function)
        for _ in range(queued):
            self.do(("event", name, len(self.ops), 0))
        return name

    def add_function(self, name: str, *, behaviour: str, on_success: str | None, on_failure: str | None,
                     dead_letter: str | None, max_retry_attempts: int, maximum_event_age: int,
                     reserved_concurrency: int | None) -> str:
        config: dict[str, Any] = {
            "max_retry_attempts": max_retry_attempts, "maximum_event_age": maximum_event_age,
            "reserved_concurrency": reserved_concurrency, "dead_letter": dead_letter, "timeout": 3}
        targets: set[str] = set()
        cycle: set[str] = set()
        for role, dest in (("on_success", on_success), ("on_failure", on_failure)):
            if dest in NAMES:
                # A function is never its own destination (CFG-6 refuses it).  A destination closing a
                # cycle (a -> b -> a) stays only without random duplicates: see the module docstring.
                if dest == name or (self.rate and reaches(self.edges, dest, name)):
                    dest = QUEUE
                else:
                    targets.add(dest)
                    if reaches(self.edges, dest, name):  # the members: on a path from dest back to name
                        cycle |= {name, *(f for f in self.edges if reaches(self.edges, dest, f)
                                         and reaches(self.edges, f, name))}
            config[role] = dest
        self.edges[name] = targets
        if cycle:
            config["max_retry_attempts"] = max_retry_attempts = 0
            coverage_event("a destination cycle")
        self.do(("register", name, behaviour, config))
        self.registered.append(name)
        self.most_retries[name] = max_retry_attempts
        for member in sorted(cycle - self.in_cycle - {name}):
            if member in self.registered:
                self.do(("configure", member, {"max_retry_attempts": 0}))
        self.in_cycle |= cycle
        return name

    # -- rules -------------------------------------------------------------------------
    @rule(target=functions, name=st.sampled_from(NAMES), function=registrations)
    def register(self, name: str, function: dict[str, Any]) -> Any:
        if name in self.registered:  # misuse: the name is taken; refused with 409, and nothing changes
            assert self.do(("register", name, function["behaviour"], {})) == "ResourceConflictException"
            return multiple()
        return self.add_function(name, **function)

    @rule(target=functions, name=st.sampled_from(NAMES), function=registrations)
    def register_closing_a_cycle(self, name: str, function: dict[str, Any]) -> Any:
        """Register a function whose destination leads back to it (a -> b -> a), where a registered function
        already sends its records to ``name``: on_failure for a handler that fails, else on_success."""
        back = [f for f in self.registered if reaches(self.edges, f, name)]
        if name in self.registered or self.rate or not back:  # no cycle to close: see the module docstring
            return multiple()
        role = "on_success" if function["behaviour"] == "ok" else "on_failure"
        return self.add_function(name, **{**function, role: back[0]})

    # One rule for both invocation types, mostly Event: Hypothesis likes to repeat a rule many times
    # over, and a run of sync-only calls would leave the queue empty.
    @rule(name=functions, invocation_type=st.sampled_from(["Event", "Event", "Event", "RequestResponse"]),
          duplicates=st.sampled_from([0, 0, 0, 1, 2]))
    def invoke(self, name: str, invocation_type: str, duplicates: int) -> None:
        if invocation_type == "Event":
            self.do(("event", name, len(self.ops), duplicates))  # 202, queued with `duplicates` extra copies
        else:
            self.do(("sync", name, len(self.ops)))  # runs now, or 429 (throttle_next, reserved concurrency 0)

    @rule()
    def run(self) -> None:
        self.do(("run",))
        assert self.live.pending == 0  # run() plays the whole queue out

    @rule(seconds=st.sampled_from([0, 1, 3, 59, 60, 61, 120, 300, 3600, 21600]))
    def advance(self, seconds: int) -> None:
        before = self.live.now
        self.do(("advance", seconds))
        assert self.live.now >= before + dt.timedelta(seconds=seconds)

    @rule(name=functions, n=st.integers(1, 3))
    def fail_next(self, name: str, n: int) -> None:
        self.do(("fail_next", name, n))

    @rule(name=functions, n=st.integers(1, 5))
    def throttle_next(self, name: str, n: int) -> None:
        self.do(("throttle_next", name, n))

    @rule(name=functions, config=st.one_of(
        st.fixed_dictionaries({"max_retry_attempts": st.integers(0, 2)}),
        st.fixed_dictionaries({"maximum_event_age": st.sampled_from(AGES)}),
        st.fixed_dictionaries({"reserved_concurrency": st.sampled_from([None, 0, 1, 10])}),
        st.fixed_dictionaries({"max_retry_attempts": st.integers(0, 2), "maximum_event_age": st.sampled_from(AGES),
                               "reserved_concurrency": st.sampled_from([None, 0, 1])}),
    ))
    def configure(self, name: str, config: dict[str, Any]) -> None:
        if name in self.in_cycle and "max_retry_attempts" in config:
            config = {**config, "max_retry_attempts": 0}  # see the module docstring
        self.do(("configure", name, config))
        if "max_retry_attempts" in config:
            self.most_retries[name] = max(self.most_retries[name], config["max_retry_attempts"])

    # -- invariants ----------------------------------------------------------------------
    @invariant()
    def the_clock_never_goes_back(self) -> None:
        inv = self.live
        assert inv.now >= self.last_now
        self.last_now = inv.now
        times = [entry.at for entry in inv.timeline_entries]
        assert times == sorted(times) and all(T0 <= t <= inv.now for t in times)
        assert all(T0 <= a.at <= inv.now for a in inv.attempts)

    @invariant()
    def each_accepted_delivery_ends_once(self) -> None:
        inv = self.live
        deliveries = accepted_deliveries(inv)
        ended = Counter(o.request_id for o in inv.outcomes)
        assert not ended - deliveries, f"outcomes without a delivery left: {ended - deliveries}"
        if inv.pending == 0:  # the queue is played out: every delivery has ended
            assert ended == deliveries

    @invariant()
    def attempts_are_bounded_by_max_retry_attempts(self) -> None:
        inv = self.live
        for outcome in inv.outcomes:
            assert outcome.attempts <= 1 + self.most_retries[outcome.function], outcome
        # and per request id, counted from the attempts themselves (throttles are not attempts)
        deliveries = accepted_deliveries(inv)
        made = Counter(a.request_id for a in inv.attempts
                       if a.invocation_type == "Event" and a.outcome != "throttled")
        function_of = {a.request_id: a.function for a in inv.attempts}
        for request_id, count in made.items():
            assert count <= deliveries[request_id] * (1 + self.most_retries[function_of[request_id]]), request_id

    # -- the end: play out, then replay -----------------------------------------------------
    def teardown(self) -> None:
        try:
            if self.inv is None or sys.exc_info()[0] is not None:
                return  # never started, or already failing: leave the report to that failure
            self.do(("run",))  # play out what is left, then check once more
            self.the_clock_never_goes_back()
            self.each_accepted_delivery_ends_once()
            self.attempts_are_bounded_by_max_retry_attempts()
            inv = self.inv
            ended = len(inv.outcomes)  # what the examples covered: --hypothesis-show-statistics
            bucket = "0" if not ended else "1-4" if ended < 5 else "5-19" if ended < 20 else "20+"
            coverage_event(f"deliveries ended: {bucket}")
            for condition in sorted({o.condition for o in inv.outcomes}):
                coverage_event(f"outcome seen: {condition}")
            if any(e.kind == "invoke" and isinstance(e.detail, Invoked) and e.detail.parent_function
                   for e in inv.timeline_entries):
                coverage_event("a Lambda destination was invoked")
            if any(isinstance(e.detail, LoopStopped) for e in inv.timeline_entries):
                coverage_event("a recursive loop was stopped (LOOP-1)")
            with LambdaInvoker(seed=self.seed, start=T0, duplicate_rate=self.rate) as again:
                answers = [apply(again, op) for op in self.ops]
                assert answers == self.answers
                assert again.timeline() == self.inv.timeline()
                assert again.timeline_entries == self.inv.timeline_entries
                assert again.outcomes == self.inv.outcomes
        finally:
            self.stack.close()


InvokerMachine.TestCase.settings = settings(max_examples=100, stateful_step_count=40, deadline=None)
test_invoker_state_machine = InvokerMachine.TestCase
