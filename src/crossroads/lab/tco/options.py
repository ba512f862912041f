"""The two kinds of option, what each costs a month for a traffic profile, and ``OptionCost``: one option's
costs as the analysis reports them."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import ROUND_CEILING, Decimal

from crossroads.catalog import HOURS_PER_MONTH, ModelPrice
from crossroads.lab.tco.errors import TcoError
from crossroads.lab.tco.profile import TrafficProfile

MILLION = Decimal(1_000_000)
EFFORT = "engineering & operations"  # the fixed_monthly label of development and operations effort


@dataclass(frozen=True)
class ApiOption:
    """A hosted model billed per token; ``batch_share`` of the traffic goes through the Batch API."""

    price: ModelPrice
    batch_share: Decimal = Decimal(0)

    @property
    def name(self) -> str:
        return self.price.key

    def cost_per_query(self, profile: TrafficProfile) -> Decimal:
        args = (profile.prompt_tokens, profile.completion_tokens, profile.cached_tokens)
        cost = self.price.cost(*args)
        if self.batch_share:
            cost = cost * (1 - self.batch_share) + self.price.cost(*args, batch=True) * self.batch_share
        return cost

    def monthly_cost(self, profile: TrafficProfile) -> Decimal:
        return self.cost_per_query(profile) * profile.queries_per_month


@dataclass(frozen=True)
class BenchBasis:
    """What a throughput taken from a bench result rests on: the report checks it against the machine
    priced (``hardware``), the workload's prompt shape, and where the benched server ran."""

    file: str
    model: str
    location: str | None  # "local" | "hosted" | None (a bare URL)
    hardware: str  # the bench's --hardware, or the CPU it ran on
    hardware_given: bool
    prompt_tokens: Decimal | None  # mean per request at the level used (server usage)
    completion_tokens: Decimal | None
    level: float
    goodput: float
    tokens_per_s: Decimal  # total (prompt + completion) tokens/s at that level

    def describe(self) -> str:
        return f"{self.file}: {self.model} on {self.hardware}, level {self.level:g}, goodput {self.goodput:.0%}"


@dataclass(frozen=True)
class SelfHostedOption:
    """GPU machines at ``hourly`` each. ``throughput`` is total (prompt + completion) tokens/s one machine
    sustains within the latency objective; the peak may use ``target_utilization`` of it. ``instances``
    fixes the fleet; None sizes it for the peak. ``fixed_monthly``: engineering and operations, storage,
    egress — whatever the fleet costs besides the machines."""

    name: str
    hourly: Decimal
    instances: int | None = None
    throughput: Decimal | None = None
    target_utilization: Decimal = Decimal("0.7")
    fixed_monthly: dict[str, Decimal] = field(default_factory=dict)
    hours_per_month: Decimal = HOURS_PER_MONTH
    hardware: str = ""
    throughput_source: str = ""
    model: str = ""  # the model the fleet serves ("" = not said)
    instance: str = ""  # the catalog's machine name, e.g. "p4d.24xlarge"
    gpu: str = ""  # the catalog's GPU name, e.g. "A100 40GB" ("" = priced by hand)
    gpus: int | None = None  # GPUs per machine
    bench: BenchBasis | None = None

    def __post_init__(self) -> None:
        if self.instances is None and self.throughput is None:
            raise TcoError(f"{self.name}: give a number of instances or a throughput (tokens/s) to size the fleet")
        if self.instances is not None and self.instances < 1:
            raise TcoError(f"{self.name}: instances must be at least 1")
        if self.throughput is not None and self.throughput <= 0:
            raise TcoError(f"{self.name}: throughput must be positive tokens/s")
        if not 0 < self.target_utilization <= 1:
            raise TcoError(f"{self.name}: target utilization is a share in (0, 1], got {self.target_utilization}")

    @property
    def capacity(self) -> Decimal | None:
        """Tokens/s one machine may carry at the target utilization."""
        return None if self.throughput is None else self.throughput * self.target_utilization

    @property
    def machine_monthly(self) -> Decimal:
        return self.hourly * self.hours_per_month

    @property
    def fixed_total(self) -> Decimal:
        return sum(self.fixed_monthly.values(), Decimal(0))

    def replicas_needed(self, profile: TrafficProfile) -> int | None:
        """Machines the peak needs at the target utilization (at least one); None without a throughput."""
        if self.capacity is None:
            return None
        needed = (profile.peak_tokens_per_second / self.capacity).to_integral_value(ROUND_CEILING)
        return max(1, int(needed))

    def fleet(self, profile: TrafficProfile) -> int:
        if self.instances is not None:
            return self.instances
        needed = self.replicas_needed(profile)
        if needed is None:  # unreachable: __post_init__ requires instances or a throughput
            raise TcoError(f"{self.name}: give a number of instances or a throughput")
        return needed

    def monthly_cost(self, profile: TrafficProfile) -> Decimal:
        return self.machine_monthly * self.fleet(profile) + self.fixed_total

    @property
    def effort_monthly(self) -> Decimal | None:
        """Engineering and operations per month, None when not given (then the cost leaves it out)."""
        return self.fixed_monthly.get(EFFORT)

    def full_use_per_million(self) -> Decimal | None:
        """$ per 1M tokens if every machine ran at its full throughput all month (what calculators show)."""
        if self.throughput is None:
            return None
        return self.hourly * MILLION / (self.throughput * 3600)

    def average_utilization(self, profile: TrafficProfile) -> Decimal | None:
        """Share of the fleet's throughput the average traffic uses."""
        if self.throughput is None:
            return None
        return profile.average_tokens_per_second / (self.throughput * self.fleet(profile))


Option = ApiOption | SelfHostedOption


def cost_per_million_tokens(monthly: Decimal, profile: TrafficProfile) -> Decimal | None:
    tokens = profile.tokens_per_month
    return None if tokens == 0 else monthly * MILLION / tokens


@dataclass(frozen=True)
class OptionCost:
    name: str
    kind: str  # "api" | "self-hosted"
    monthly: Decimal
    per_million_tokens: Decimal | None
    breakdown: dict[str, Decimal]
    projection: list[Decimal]  # monthly cost for each month of the horizon, with growth
    instances: int | None = None
    replicas_needed: int | None = None
    throughput: Decimal | None = None
    average_utilization: Decimal | None = None
    note: str = ""
    model: str = ""  # the model served: the catalog key of an API, the fleet's model ("" = not said)
    hourly: Decimal | None = None
    instance: str = ""
    gpu: str = ""
    gpus: int | None = None
    bench: BenchBasis | None = None  # what the throughput was measured on
    effort_monthly: Decimal | None = None  # engineering & operations; None = not given
    full_use_per_million: Decimal | None = None  # $/1M tokens at 100% use, for contrast with per_million_tokens
