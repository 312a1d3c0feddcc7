"""Which suppressed counts can be worked out from the published ones, as an attacker would.

The relations (metrics.disclosure_relations) are linear equations over the rows. Known
(unsuppressed) rows are constants; each suppressed row is an unknown. An unknown is
determined exactly when every vector of the null space of the equations restricted to the
unknowns (B) is zero there. The audit projects two random vectors onto that null space and
calls an unknown determined when both projections are zero there (one that is not
determined gives zero with probability 0).

The projection is the limit of z ← δ(BᵀB + δI)⁻¹z: each step keeps the null space exactly
and leaves δ/(σ² + δ) of the part along an eigenvector of BᵀB with eigenvalue σ² > 0 (the
coefficients are ±1, so σ² is far from 0: 0.03 at least on the sample). BᵀB + δI is
factorised once per batch of connected components by a sparse LU (SuperLU, minimum-degree
order, diagonal pivots: the matrix is positive definite), so the cost follows the fill of
the factor, not the cube of a component's unknowns. An equation with a single unknown
(which peeling would find) needs no special case: the projection is zero there.
"""

from __future__ import annotations

import numpy as np
from scipy import sparse
from scipy.sparse import csgraph
from scipy.sparse import linalg as sparse_linalg

from metrics.disclosure_relations import relation_numbers

# A projection smaller than this is zero: it is ~1e-14 where an unknown is determined and
# ~1e-3 or more where it is not (the random vectors have unit variance).
TOLERANCE = 1e-7
# The regularisation δ: small enough for few steps, large enough to keep BᵀB + δI well
# conditioned (its condition number is about 30/δ).
DELTA = 1e-4
# The steps stop when no projection moves by more than this (the part left along the
# eigenvectors is then smaller still); at most MAXIMUM_STEPS.
CONVERGED = 1e-11
MAXIMUM_STEPS = 200
SEED = 20261205
# Unknowns per factorisation: bounds the memory of the factor, not its total work.
BATCH_UNKNOWNS = 250_000


def relation_matrix(relation, row_key, coefficient, rows: int) -> sparse.csr_matrix:
    """Returns the relations × rows matrix of coefficients (a matrix row for each distinct
    relation id of metrics.disclosure_relations, in the order of the ids)."""
    numbered, relations = relation_numbers(relation, coefficient == 1)
    shape = (relations, rows)
    return sparse.csr_matrix((coefficient.astype(float), (numbered, row_key)), shape=shape)


def determined(
    matrix: sparse.csr_matrix, hidden: np.ndarray, before: tuple | None = None
) -> np.ndarray:
    """Returns, for every row, whether it is hidden but fixed by the visible rows.

    `before`, (hidden, determined) of an earlier call over the same matrix with fewer
    rows hidden, limits the work to the components holding a newly hidden row: hiding
    rows only adds unknowns, so a component without one is unchanged, and so is its answer.
    """
    columns = np.flatnonzero(hidden)
    unknowns = matrix[:, columns].tocsr()
    unknowns.eliminate_zeros()
    unknowns = unknowns[np.diff(unknowns.indptr) > 0]
    count, labels = connected_sets(unknowns)
    result = np.zeros(len(hidden), dtype=bool)
    solve = np.ones(count, dtype=bool)
    if before is not None:
        solve[:] = False
        solve[labels[~before[0][columns]]] = True
        result[columns] = before[1][columns] & ~solve[labels]
    # An unknown in no equation is alone in its component, and never determined.
    solve[labels[np.bincount(unknowns.indices, minlength=len(columns)) == 0]] = False
    for batch in _batches(labels, count, solve):
        result[columns[batch]] = _null_space_is_zero(unknowns[:, batch])
    return result


def connected_sets(system: sparse.csr_matrix) -> tuple[int, np.ndarray]:
    """Returns the number of connected sets of unknowns (linked by sharing an equation) and
    each unknown's set, numbered in the order of their first unknowns. The graph links each
    unknown to its equation's first unknown (as many links as entries), not to every unknown
    it meets: a graph of the unknowns alone, a quarter of the cost of one that also has a
    node for each equation."""
    system = sparse.csr_matrix(system)
    lengths = np.diff(system.indptr)
    first = system.indices[system.indptr[:-1][lengths > 0]]
    links = (np.repeat(first, lengths[lengths > 0]), system.indices)
    size = system.shape[1]
    graph = sparse.csr_matrix((np.ones(system.nnz, dtype=np.int8), links), shape=(size, size))
    return csgraph.connected_components(graph, directed=False)


def _batches(labels: np.ndarray, count: int, solve: np.ndarray):
    """Yields the unknowns of the components to solve, in groups of whole components of
    about BATCH_UNKNOWNS: components share no unknown, so a group is block-diagonal."""
    order = np.argsort(labels, kind="stable")
    order = order[solve[labels[order]]]
    sizes = np.bincount(labels, minlength=count)[solve]
    # A component goes in the group in which it starts.
    group = (np.cumsum(sizes) - sizes) // BATCH_UNKNOWNS
    for batch in np.split(order, np.cumsum(np.bincount(np.repeat(group, sizes)))[:-1]):
        if len(batch):
            yield batch


def _null_space_is_zero(block: sparse.csc_matrix) -> np.ndarray:
    """Returns which unknowns (columns) of `block` every null-space vector is zero on."""
    block = block.tocsr()
    block = block[np.diff(block.indptr) > 0]
    size = block.shape[1]
    gram = (block.T @ block + DELTA * sparse.identity(size)).tocsc()
    factor = sparse_linalg.splu(
        gram,
        permc_spec="MMD_AT_PLUS_A",
        diag_pivot_thresh=0.0,
        options={"SymmetricMode": True},
    )
    projection = np.random.default_rng(SEED).standard_normal((size, 2))
    moved = np.inf
    for _ in range(MAXIMUM_STEPS):
        following = DELTA * factor.solve(projection)
        moved, before = np.abs(following - projection).max(initial=0.0), moved
        projection = following
        # Done when what is left is far below TOLERANCE, or down to rounding (the steps
        # stop shrinking it).
        if moved < CONVERGED or (moved < TOLERANCE * 1e-3 and moved > before / 2):
            break
    return np.abs(projection).max(axis=1, initial=0.0) < TOLERANCE


def component_sizes(matrix: sparse.csr_matrix, hidden: np.ndarray) -> list[int]:
    """Returns the numbers of unknowns of the connected sets of equations, largest first
    (for measuring the cost of the audit)."""
    unknowns = matrix[:, np.flatnonzero(hidden)].tocsr()
    unknowns.eliminate_zeros()
    unknowns = unknowns[np.diff(unknowns.indptr) > 0]
    if unknowns.shape[0] == 0:
        return []
    count, labels = connected_sets(unknowns)
    used = np.unique(labels[unknowns.indices])
    return sorted(np.bincount(labels, minlength=count)[used].tolist(), reverse=True)
