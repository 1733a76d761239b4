"""The optimal placement of a cohort: the assignment with the highest total fit within the
roles' capacities, its deterministic tie-break, and an explanation per trainee.

The rule (docs/placement.md):
1. Every trainee is placed, no role above its capacity, only in roles they have a fit for.
2. The total fit is the highest possible; a trainee's fit for their preferred role counts
   with the preference bonus added.
3. Among assignments with that total, one that meets the most preferences.
4. Among those, the trainees in the cohort's order each get the best role still possible
   given the ones before them, a trainee's roles ranked: their preference first, then the
   plan's roles in the order the capacities list them.

Fits and the bonus are compared exactly, as integers of 1/10 000 (rules.fit_units). SciPy's
`linear_sum_assignment` over capacity-expanded columns gives the starting optimum; the exact
part works on the small "move graph" of the assignment: one node per role and one for spare
capacity, an edge a→b weighing the cheapest change of cost of moving one trainee from a to b
(and a→spare when a has room, spare→a when a has someone). An assignment is optimal exactly
when that graph has no negative cycle; cancelling any that floating point left makes the
optimum exact; a zero-cost cycle is another optimal assignment, which is how ties are broken
and what a preference would have cost is found, each in time independent of the cohort's
size but for keeping the cheapest move per pair of roles in a heap.
"""
from __future__ import annotations

import heapq
from dataclasses import dataclass, field

import numpy as np
from scipy.optimize import linear_sum_assignment

from portal.placement.rules import (
    Cohort,
    Placement,
    TraineeExplanation,
    allowed_roles,
    check_cohort,
    fit_units,
    from_units,
)

Costs = list[list[int | None]]  # per trainee, per role index; None: cannot be placed there


def solve(cohort: Cohort) -> Placement:
    """The optimal placement of `cohort` (rule above). Raises InvalidCohort, UnknownRole or
    InfeasiblePlan (rules.check_cohort) when the cohort cannot be placed."""
    check_cohort(cohort)
    roles = cohort.roles
    index = {role: k for k, role in enumerate(roles)}
    caps = [cohort.capacities[r] for r in roles]
    bonus = fit_units(cohort.preference_bonus)
    n = len(cohort.trainees)
    weight: Costs = []
    preferred: list[int | None] = []
    for trainee in cohort.trainees:
        allowed = set(allowed_roles(cohort, trainee))
        pref = index.get(trainee.preference) if trainee.preference is not None else None
        preferred.append(pref)
        weight.append([fit_units(trainee.fit[r]) + (bonus if k == pref else 0)
                       if r in allowed else None for k, r in enumerate(roles)])
    # Minimised: the fit (scaled so that it always dominates), then one per unmet preference.
    combined: Costs = [[None if w is None else -w * (n + 1) + (0 if k == preferred[i] else 1)
                        for k, w in enumerate(row)] for i, row in enumerate(weight)]
    assign = _scipy_start(combined, caps)
    graph = _MoveGraph(combined, caps, assign)
    graph.cancel_negative_cycles()
    for i in range(n):
        pref = preferred[i]
        ranking = ([pref] if pref is not None else []) + [k for k in range(len(roles))
                                                           if k != pref]
        graph.settle(i, [k for k in ranking if combined[i][k] is not None])
    assign = graph.assign
    total = sum(weight[i][assign[i]] or 0 for i in range(n))
    primary: Costs = [[None if w is None else -w for w in row] for row in weight]
    edges = _cheapest_moves(primary, assign) + _spare_edges(caps, graph.loads)
    explanations = []
    for i, trainee in enumerate(cohort.trainees):
        pref, role = preferred[i], assign[i]
        cost: int | None
        if pref is None or primary[i][pref] is None:
            cost = None
        elif pref == role:
            cost = 0
        else:
            dist = _shortest_from(pref, edges, len(roles) + 1)[0][role]
            own = primary[i][pref] - primary[i][role]  # type: ignore[operator]
            cost = None if dist is None else own + dist
        explanations.append(TraineeExplanation(
            trainee_id=trainee.trainee_id, fit=dict(trainee.fit), preference=trainee.preference,
            role=roles[role], preference_met=pref == role,
            total_if_preferred=None if cost is None else from_units(total - cost),
            preference_cost=None if cost is None else from_units(cost)))
    return Placement(assignment={t.trainee_id: roles[assign[i]]
                                 for i, t in enumerate(cohort.trainees)},
                     total_fit=from_units(total), explanations=tuple(explanations))


def _scipy_start(costs: Costs, caps: list[int]) -> list[int]:
    """An optimal assignment by linear_sum_assignment, each role's column repeated up to its
    capacity (floating point: exact for the sizes we see, and made exact afterwards)."""
    n = len(costs)
    columns = [k for k, cap in enumerate(caps) for _ in range(min(cap, n))]
    known = [abs(c) for row in costs for c in row if c is not None]
    forbidden = float(2 * n * (max(known) + 1))  # worse than any feasible assignment
    matrix = np.array([[forbidden if row[k] is None else float(row[k]) for k in columns]
                       for row in costs], dtype=np.float64)
    rows, cols = linear_sum_assignment(matrix)
    assign = [-1] * n
    for r, c in zip(rows.tolist(), cols.tolist(), strict=True):
        assign[r] = columns[c]
    if any(costs[i][k] is None for i, k in enumerate(assign)):  # pragma: no cover
        raise AssertionError("no feasible start although the plan passed check_cohort")
    return assign


# --- the move graph ------------------------------------------------------------------------

Edge = tuple[int, int, int, int | None]  # from, to, weight, the trainee who moves (or None)


@dataclass
class _MoveGraph:
    """The assignment and, per pair of roles (a, b), a heap of (cost change, trainee) for
    moving a trainee from a to b. Entries go stale when a trainee moves or is settled; they
    are dropped when they reach the top."""

    costs: Costs
    caps: list[int]
    assign: list[int]
    loads: list[int] = field(init=False)
    settled: list[bool] = field(init=False)
    heaps: list[list[list[tuple[int, int]]]] = field(init=False)

    def __post_init__(self) -> None:
        size = len(self.caps)
        self.loads = [0] * size
        self.settled = [False] * len(self.costs)
        self.heaps = [[[] for _ in range(size)] for _ in range(size)]
        for j, a in enumerate(self.assign):
            self.loads[a] += 1
            self._push(j)
        for row in self.heaps:
            for heap in row:
                heapq.heapify(heap)

    @property
    def spare(self) -> int:
        return len(self.caps)  # the node of spare capacity

    def _push(self, j: int) -> None:
        a = self.assign[j]
        here = self.costs[j][a]
        assert here is not None
        for b, there in enumerate(self.costs[j]):
            if b != a and there is not None:
                self.heaps[a][b].append((there - here, j))

    def _top(self, a: int, b: int) -> tuple[int, int] | None:
        heap = self.heaps[a][b]
        while heap and (self.settled[heap[0][1]] or self.assign[heap[0][1]] != a):
            heapq.heappop(heap)
        return heap[0] if heap else None

    def _move(self, j: int, b: int) -> None:
        self.loads[self.assign[j]] -= 1
        self.loads[b] += 1
        self.assign[j] = b
        here = self.costs[j][b]
        assert here is not None
        for c, there in enumerate(self.costs[j]):
            if c != b and there is not None:
                heapq.heappush(self.heaps[b][c], (there - here, j))

    def edges(self) -> list[Edge]:
        size = len(self.caps)
        found: list[Edge] = []
        for a in range(size):
            for b in range(size):
                if a != b and (top := self._top(a, b)) is not None:
                    found.append((a, b, top[0], top[1]))
        return found + _spare_edges(self.caps, self.loads)

    def _apply(self, path: list[Edge]) -> None:
        for _a, b, _w, j in path:  # the trainees were chosen before anyone moves
            if j is not None:
                self._move(j, b)

    def cancel_negative_cycles(self) -> None:
        """Make the assignment exactly optimal: each cancelled cycle lowers the integer cost,
        so this ends (usually at once: SciPy's answer is already optimal)."""
        while (cycle := _negative_cycle(self.edges(), len(self.caps) + 1)) is not None:
            self._apply(cycle)

    def settle(self, i: int, ranking: list[int]) -> None:
        """Give trainee i the first role of `ranking` that some optimal assignment allows,
        keeping the trainees settled before; then settle i."""
        self.settled[i] = True  # i must not be moved as a step of its own cycle
        current = self.assign[i]
        for k in ranking:
            if k == current:
                return
            own = self.costs[i][k] - self.costs[i][current]  # type: ignore[operator]
            dist, parent = _shortest_from(k, self.edges(), len(self.caps) + 1)
            if dist[current] is not None and own + dist[current] == 0:
                path: list[Edge] = []
                node = current
                while node != k:
                    edge = parent[node]
                    assert edge is not None
                    path.append(edge)
                    node = edge[0]
                self._apply([*path, (current, k, own, i)])
                return


def _spare_edges(caps: list[int], loads: list[int]) -> list[Edge]:
    spare = len(caps)
    return ([(a, spare, 0, None) for a in range(len(caps)) if loads[a] < caps[a]]
            + [(spare, a, 0, None) for a in range(len(caps)) if loads[a] > 0])


def _cheapest_moves(costs: Costs, assign: list[int]) -> list[Edge]:
    """The cheapest move per pair of roles for a fixed assignment (lowest trainee on ties)."""
    best: dict[tuple[int, int], tuple[int, int]] = {}
    for j, a in enumerate(assign):
        here = costs[j][a]
        assert here is not None
        for b, there in enumerate(costs[j]):
            if b != a and there is not None:
                candidate = (there - here, j)
                if (a, b) not in best or candidate < best[(a, b)]:
                    best[(a, b)] = candidate
    return [(a, b, w, j) for (a, b), (w, j) in sorted(best.items())]


def _shortest_from(source: int, edges: list[Edge], nodes: int
                   ) -> tuple[list[int | None], list[Edge | None]]:
    """Bellman-Ford over the move graph (which has no negative cycle here)."""
    dist: list[int | None] = [None] * nodes
    parent: list[Edge | None] = [None] * nodes
    dist[source] = 0
    for _ in range(nodes - 1):
        changed = False
        for edge in edges:
            a, b, w, _j = edge
            if (da := dist[a]) is not None and (dist[b] is None or da + w < dist[b]):  # type: ignore[operator]
                dist[b], parent[b] = da + w, edge
                changed = True
        if not changed:
            break
    return dist, parent


def _negative_cycle(edges: list[Edge], nodes: int) -> list[Edge] | None:
    """A negative cycle of the move graph as its edges in order, or None."""
    dist = [0] * nodes
    parent: list[Edge | None] = [None] * nodes
    last = None
    for _ in range(nodes):
        last = None
        for edge in edges:
            a, b, w, _j = edge
            if dist[a] + w < dist[b]:
                dist[b], parent[b] = dist[a] + w, edge
                last = b
        if last is None:
            return None
    node = last
    for _ in range(nodes):  # walk back onto the cycle itself
        edge = parent[node]
        assert edge is not None
        node = edge[0]
    cycle: list[Edge] = []
    start = node
    while True:
        edge = parent[node]
        assert edge is not None
        cycle.append(edge)
        node = edge[0]
        if node == start:
            break
    cycle.reverse()
    return cycle
