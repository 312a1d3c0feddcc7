"""Which suppressed counts can be worked out from the published ones, as an attacker would.

The relations (metrics.disclosure_relations) are linear equations over the rows. Known
(unsuppressed) rows are constants; each suppressed row is an unknown. First, any equation
left with one unknown gives it away, and that repeats ("peeling"). Then, for each connected
set of equations still holding two or more unknowns, an unknown is determined exactly when
its unit vector lies in the row space of the equations restricted to the unknowns, that is
when every vector of the null space is zero there: solved by singular value decomposition of
each component: a pivoted Cholesky factorisation of its Gram matrix (LAPACK dpstrf) gives its
rank and a basis of its null space (the coefficients are ±1, so the rank is well
conditioned).
"""

from __future__ import annotations

import numpy as np
from scipy import linalg, sparse
from scipy.linalg import lapack
from scipy.sparse import csgraph

# A null-space component smaller than this is zero: the equations are sums with
# coefficients ±1 over at most a few thousand unknowns.
TOLERANCE = 1e-7
# A pivot of the Gram matrix smaller than this is zero (its entries are small integers).
RANK_TOLERANCE = 1e-9
RANDOM = np.random.default_rng(20261205)
BATCH_COLUMNS = 150


def relation_matrix(relation, row_key, coefficient, rows: int) -> sparse.csr_matrix:
    """Returns the relations × rows matrix of coefficients (relation ids 0..n−1)."""
    relations = int(relation.max()) + 1 if len(relation) else 0
    shape = (relations, rows)
    return sparse.csr_matrix((coefficient.astype(float), (relation, row_key)), shape=shape)


def determined(matrix: sparse.csr_matrix, hidden: np.ndarray) -> np.ndarray:
    """Returns, for every row, whether it is hidden but fixed by the visible rows."""
    columns = np.flatnonzero(hidden)
    unknowns = matrix[:, columns].tocsr()
    unknowns.eliminate_zeros()
    known = _peel(unknowns)
    known[~known] = _solve_by_rank(unknowns, known)
    result = np.zeros(len(hidden), dtype=bool)
    result[columns[known]] = True
    return result


def _peel(unknowns: sparse.csr_matrix) -> np.ndarray:
    """Marks known every unknown that is alone in an equation, until none is."""
    pattern = (unknowns != 0).astype(np.int32).tocsr()
    known = np.zeros(unknowns.shape[1], dtype=bool)
    while True:
        left = pattern @ (~known).astype(np.int32)
        alone = pattern[left == 1].tocoo()
        found = np.unique(alone.col[~known[alone.col]])
        if not len(found):
            return known
        known[found] = True


def _solve_by_rank(unknowns: sparse.csr_matrix, known: np.ndarray) -> np.ndarray:
    """Returns, for each unknown not yet known, whether the equations determine it."""
    open_columns = np.flatnonzero(~known)
    system = unknowns[:, open_columns].tocsr()
    system = system[np.diff(system.indptr) >= 2]
    result = np.zeros(len(open_columns), dtype=bool)
    if system.shape[0] == 0:
        return result
    count, labels = csgraph.connected_components(_touching(system), directed=False)
    row_labels = labels[system.indices[system.indptr[:-1]]]
    rows_by_label = _grouped(row_labels, count)
    for batch in _batches(_grouped(labels, count), rows_by_label):
        rows = np.concatenate([rows_by_label[component] for component in batch])
        columns = np.concatenate([columns_of for _, columns_of in batch.items()])
        result[columns] = _determined_in_block(system[rows][:, columns])
    return result


def _batches(columns_by_label: list[np.ndarray], rows_by_label: list[np.ndarray]):
    """Yields {component: columns} groups of about BATCH_COLUMNS unknowns: components do
    not share unknowns, so a block of several is block-diagonal and factorises as one,
    which saves a LAPACK call per small component."""
    batch: dict[int, np.ndarray] = {}
    size = 0
    for component, columns in enumerate(columns_by_label):
        if not len(rows_by_label[component]):
            continue
        batch[component] = columns
        size += len(columns)
        if size >= BATCH_COLUMNS:
            yield batch
            batch, size = {}, 0
    if batch:
        yield batch


def _touching(system: sparse.csr_matrix) -> sparse.csr_matrix:
    """Returns the unknowns × unknowns pattern of sharing an equation."""
    pattern = abs(system)
    return (pattern.T @ pattern).tocsr()


def _grouped(labels: np.ndarray, count: int) -> list[np.ndarray]:
    """Returns the indices of each label 0..count−1, in one sort."""
    order = np.argsort(labels, kind="stable")
    return np.split(order, np.cumsum(np.bincount(labels, minlength=count))[:-1])


def _determined_in_block(block: sparse.csr_matrix) -> np.ndarray:
    """Returns which unknowns (columns) of a connected block of equations it determines.

    With G = BᵀB permuted as RᵀR (R upper, rank r), the null space is spanned by
    [−R₁₁⁻¹R₁₂; I]: an unknown among the first r is determined iff its row of R₁₁⁻¹R₁₂ is
    zero, and the other n − r never are. The rows are tested through R₁₁⁻¹R₁₂ times two
    random vectors: a row that is not zero gives zero with probability 0.
    """
    gram = (block.T @ block).toarray()
    factor, pivots, rank, _ = lapack.dpstrf(gram, tol=RANK_TOLERANCE)
    found = np.zeros(gram.shape[0], dtype=bool)
    order = pivots - 1
    if rank == gram.shape[0]:
        found[:] = True
        return found
    upper = np.triu(factor[:rank, :rank])
    probes = RANDOM.standard_normal((gram.shape[0] - rank, 2))
    free = linalg.solve_triangular(upper, factor[:rank, rank:] @ probes)
    found[order[:rank]] = np.abs(free).max(axis=1) < TOLERANCE
    return found


def component_sizes(matrix: sparse.csr_matrix, hidden: np.ndarray) -> list[int]:
    """Returns the numbers of unknowns of the components left after peeling, largest first
    (for measuring the cost of the rank step)."""
    columns = np.flatnonzero(hidden)
    unknowns = matrix[:, columns].tocsr()
    unknowns.eliminate_zeros()
    known = _peel(unknowns)
    system = unknowns[:, np.flatnonzero(~known)].tocsr()
    system = system[np.diff(system.indptr) >= 2]
    if system.shape[0] == 0:
        return []
    count, labels = csgraph.connected_components(_touching(system), directed=False)
    used = np.unique(labels[system.indices])
    return sorted(np.bincount(labels)[used].tolist(), reverse=True)
