"""Karpathy's min-char-rnn, as people port it to torch: Wxh/Whh/Why/bh/by tensors with
requires_grad, a tanh loop over the sequence, softmax cross-entropy summed by hand, autograd
instead of the hand-written backward, clamp_ of the gradients, Adagrad written out with mem
tensors, smooth_loss, sampling with torch.multinomial from the hidden state."""
import numpy as np
import torch

data = "hello world, hello npgrad, hello torch. " * 20
chars = sorted(list(set(data)))
data_size, vocab_size = len(data), len(chars)
print('data has %d characters, %d unique.' % (data_size, vocab_size))
char_to_ix = {ch: i for i, ch in enumerate(chars)}
ix_to_char = {i: ch for i, ch in enumerate(chars)}

# hyperparameters
hidden_size = 32  # size of hidden layer of neurons
seq_length = 16  # number of steps to unroll the RNN for
learning_rate = 1e-1

# model parameters (the same initial values on every library: drawn with NumPy)
rs = np.random.RandomState(0)
Wxh = torch.tensor(rs.randn(hidden_size, vocab_size) * 0.01, dtype=torch.float32, requires_grad=True)
Whh = torch.tensor(rs.randn(hidden_size, hidden_size) * 0.01, dtype=torch.float32, requires_grad=True)
Why = torch.tensor(rs.randn(vocab_size, hidden_size) * 0.01, dtype=torch.float32, requires_grad=True)
bh = torch.zeros((hidden_size, 1), requires_grad=True)  # hidden bias
by = torch.zeros((vocab_size, 1), requires_grad=True)  # output bias
params = [Wxh, Whh, Why, bh, by]


def lossFun(inputs, targets, hprev):
    """inputs,targets are both list of integers. hprev is Hx1 array of initial hidden state
    returns the loss and the last hidden state (gradients land in .grad)"""
    hs = hprev
    loss = 0
    for t in range(len(inputs)):
        xs = torch.zeros((vocab_size, 1))  # encode in 1-of-k representation
        xs[inputs[t]] = 1
        hs = torch.tanh(Wxh @ xs + Whh @ hs + bh)  # hidden state
        ys = Why @ hs + by  # unnormalized log probabilities for next chars
        ps = torch.exp(ys) / torch.sum(torch.exp(ys))  # probabilities for next chars
        loss = loss - torch.log(ps[targets[t], 0])  # softmax (cross-entropy loss)
    for p in params:
        p.grad = None
    loss.backward()
    for p in params:
        p.grad.clamp_(-5, 5)  # clip to mitigate exploding gradients
    return loss.item(), hs.detach()


@torch.no_grad()
def sample(h, seed_ix, n, generator):
    """sample a sequence of integers from the model, h is memory state, seed_ix is seed letter
    for first time step"""
    x = torch.zeros((vocab_size, 1))
    x[seed_ix] = 1
    ixes = []
    for t in range(n):
        h = torch.tanh(Wxh @ x + Whh @ h + bh)
        y = Why @ h + by
        p = torch.exp(y) / torch.sum(torch.exp(y))
        ix = torch.multinomial(p.view(-1), 1, generator=generator).item()
        x = torch.zeros((vocab_size, 1))
        x[ix] = 1
        ixes.append(ix)
    return ixes


n, p = 0, 0
mem = [torch.zeros_like(q) for q in params]  # memory variables for Adagrad
smooth_loss = -np.log(1.0 / vocab_size) * seq_length  # loss at iteration 0
g = torch.Generator().manual_seed(42)
while n <= 60:
    # prepare inputs (we're sweeping from left to right in steps seq_length long)
    if p + seq_length + 1 >= len(data) or n == 0:
        hprev = torch.zeros((hidden_size, 1))  # reset RNN memory
        p = 0  # go from start of data
    inputs = [char_to_ix[ch] for ch in data[p:p + seq_length]]
    targets = [char_to_ix[ch] for ch in data[p + 1:p + seq_length + 1]]

    # sample from the model now and then
    if n % 30 == 0:
        sample_ix = sample(hprev, inputs[0], 40, g)
        txt = ''.join(ix_to_char[ix] for ix in sample_ix)
        print('----\n %s \n----' % (txt,))

    # forward seq_length characters through the net and fetch gradient
    loss, hprev = lossFun(inputs, targets, hprev)
    smooth_loss = smooth_loss * 0.999 + loss * 0.001
    if n % 20 == 0:
        print('iter %d, loss: %f, step loss: %f' % (n, smooth_loss, loss))  # print progress

    # perform parameter update with Adagrad
    with torch.no_grad():
        for param, m in zip(params, mem):
            dparam = param.grad
            m += dparam * dparam
            param += -learning_rate * dparam / torch.sqrt(m + 1e-8)  # adagrad update

    p += seq_length  # move data pointer
    n += 1  # iteration counter
