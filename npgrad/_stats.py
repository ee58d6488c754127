"""``torch.std_mean`` and ``torch.var_mean``: a spread and the mean over the same dims, as one
call returning ``(std, mean)`` / ``(var, mean)``. Both are differentiable (each is the
ordinary reduction)."""


def std_mean(input, dim=None, unbiased=None, keepdim=False, *, correction=None):
    return (input.std(dim, unbiased=unbiased, keepdim=keepdim, correction=correction),
            input.mean(dim, keepdim=keepdim))


def var_mean(input, dim=None, unbiased=None, keepdim=False, *, correction=None):
    return (input.var(dim, unbiased=unbiased, keepdim=keepdim, correction=correction),
            input.mean(dim, keepdim=keepdim))
