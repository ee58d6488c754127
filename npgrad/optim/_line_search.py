"""The strong-Wolfe line search LBFGS uses (``line_search_fn="strong_wolfe"``), after
minFunc's ``WolfeLineSearch``, step for step as PyTorch runs it.

Along a descent direction d from x, find a step t whose loss fell enough (Armijo:
f(t) ≤ f + c1·t·gᵀd) and whose slope flattened enough (curvature: |g(t)ᵀd| ≤ -c2·gᵀd).
First grow t (extrapolating with a cubic) until an interval [lo, hi] must contain such a
point, then shrink the interval (cubic interpolation, kept away from its ends) until
one is found, the interval gets tiny, or ``max_ls`` evaluations are spent.
"""


def cubic_minimum(x1, f1, g1, x2, f2, g2, bounds=None):
    """The minimizer of the cubic through (x1, f1) and (x2, f2) with slopes g1 and g2,
    clamped to ``bounds`` (default: between x1 and x2); their middle when the cubic has
    no minimum."""
    lo, hi = bounds if bounds is not None else (min(x1, x2), max(x1, x2))
    d1 = g1 + g2 - 3 * (f1 - f2) / (x1 - x2)
    d2_square = d1 ** 2 - g1 * g2
    if d2_square < 0:
        return (lo + hi) / 2.0
    d2 = d2_square ** 0.5
    if x1 <= x2:
        at = x2 - (x2 - x1) * ((g2 + d2 - d1) / (g2 - g1 + 2 * d2))
    else:
        at = x1 - (x1 - x2) * ((g1 + d2 - d1) / (g1 - g2 + 2 * d2))
    return min(max(at, lo), hi)


def strong_wolfe(evaluate, x, t, d, f, g, gtd, c1=1e-4, c2=0.9, tolerance_change=1e-9,
                 max_ls=25):
    """Search along ``d`` from the parameters ``x`` (loss ``f``, flat gradient ``g``,
    slope ``gtd`` = gᵀd), starting at step ``t``. ``evaluate(x, t, d)`` returns the loss
    and flat gradient at x + t·d. Returns (loss, gradient, t, number of evaluations)."""
    d_norm = abs(d).max()
    g = g.copy()
    f_new, g_new = evaluate(x, t, d)
    evals = 1
    gtd_new = g_new.dot(d)

    # Phase 1: bracket. Points are [t, f, g, gtd] lists so the bracket can swap them.
    prev = [0, f, g, gtd]
    done = False
    ls_iter = 0
    bracket = None
    while ls_iter < max_ls:
        new = [t, f_new, g_new, gtd_new]
        if f_new > (f + c1 * t * gtd) or (ls_iter > 1 and f_new >= prev[1]):
            bracket = [prev, [t, f_new, g_new.copy(), gtd_new]]  # fell too little
            break
        if abs(gtd_new) <= -c2 * gtd:  # both conditions hold
            bracket = [new]
            done = True
            break
        if gtd_new >= 0:  # the slope turned: a minimum lies behind
            bracket = [prev, [t, f_new, g_new.copy(), gtd_new]]
            break
        # still going down: extrapolate, between 1.01·t and 10·t
        t_next = cubic_minimum(prev[0], prev[1], prev[3], t, f_new, gtd_new,
                               bounds=(t + 0.01 * (t - prev[0]), t * 10))
        prev = [t, f_new, g_new.copy(), gtd_new]
        t = t_next
        f_new, g_new = evaluate(x, t, d)
        evals += 1
        gtd_new = g_new.dot(d)
        ls_iter += 1
    if ls_iter == max_ls:
        bracket = [[0, f, g, None], [t, f_new, g_new, None]]

    # Phase 2: zoom into the bracket.
    insufficient_progress = False
    low, high = (0, 1) if bracket[0][1] <= bracket[-1][1] else (1, 0)
    while not done and ls_iter < max_ls:
        ts = [bracket[0][0], bracket[1][0]]
        if abs(ts[1] - ts[0]) * d_norm < tolerance_change:
            break
        t = cubic_minimum(bracket[0][0], bracket[0][1], bracket[0][3],
                          bracket[1][0], bracket[1][1], bracket[1][3])
        # keep t at least 10% of the interval away from its ends, unless the last try
        # there did make progress
        top, bottom = max(ts), min(ts)
        eps = 0.1 * (top - bottom)
        if min(top - t, t - bottom) < eps:
            if insufficient_progress or t >= top or t <= bottom:
                t = top - eps if abs(t - top) < abs(t - bottom) else bottom + eps
                insufficient_progress = False
            else:
                insufficient_progress = True
        else:
            insufficient_progress = False
        f_new, g_new = evaluate(x, t, d)
        evals += 1
        gtd_new = g_new.dot(d)
        ls_iter += 1
        new = [t, f_new, g_new.copy(), gtd_new]
        if f_new > (f + c1 * t * gtd) or f_new >= bracket[low][1]:
            bracket[high] = new  # not low enough: it becomes the high end
            low, high = (0, 1) if bracket[0][1] <= bracket[1][1] else (1, 0)
        else:
            if abs(gtd_new) <= -c2 * gtd:
                done = True
            elif gtd_new * (bracket[high][0] - bracket[low][0]) >= 0:
                bracket[high] = bracket[low]  # the old low end becomes the high end
            bracket[low] = new
    t, f_new, g_new, _ = bracket[low]
    return f_new, g_new, t, evals
