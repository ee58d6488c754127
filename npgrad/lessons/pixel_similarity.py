"""Lesson 6 — pixel similarity (seed 003 "Converting traditional program into a full-blown
machine learning model"; the fastai book, chapter 4).

The baseline without any learning: average every training 3 into an "ideal 3" and every
training 7 into an "ideal 7", then call a validation image a 3 if it is closer to the ideal
3 than to the ideal 7. Closer by the mean absolute difference (L1 norm) or by the root mean
squared difference (L2 norm).

fastai's MNIST_SAMPLE is exactly MNIST's 3s and 7s (training: 6131 + 6265; validation =
MNIST's test set: 1010 + 1028), so the numbers here can be put beside the book's:
L1 accuracy 0.9168 on 3s, 0.9854 on 7s, 0.9511 on average.
"""
import npgrad as torch

from ..train.data import mnist
from ..train.plots import plot_images
from ._common import figure, heading, note

FASTAI_L1 = {"3s": 0.9168, "7s": 0.9854, "mean": 0.9511}


def mnist_distance(a, b):
    """L1: the mean absolute difference over the last two axes (each image's pixels)."""
    return (a - b).abs().mean((-1, -2))


def mnist_distance_l2(a, b):
    """L2: the root of the mean squared difference."""
    return ((a - b) ** 2).mean((-1, -2)).sqrt()


def stacked(data_dir, digit, train):
    """All images of one digit as a float tensor (N, 28, 28) in [0, 1]."""
    return mnist(data_dir, train=train, classes=[digit]).data.float() / 255


def run(out_dir=None, quick=False, data_dir=None):
    heading("The ideal 3 and the ideal 7: the mean of every training image")
    stacked_threes, stacked_sevens = stacked(data_dir, 3, True), stacked(data_dir, 7, True)
    print(f"stacked_threes.shape = {tuple(stacked_threes.shape)}, "
          f"stacked_sevens.shape = {tuple(stacked_sevens.shape)}")
    mean3, mean7 = stacked_threes.mean(0), stacked_sevens.mean(0)
    fig = figure(out_dir, "ideal_3_7.png", plot_images, torch.stack([mean3, mean7]),
                 titles=["ideal 3", "ideal 7"], ncols=2)

    a_3 = stacked_threes[1]
    dist_3_abs = (a_3 - mean3).abs().mean()
    dist_3_sqr = ((a_3 - mean3) ** 2).mean().sqrt()
    dist_7_abs = (a_3 - mean7).abs().mean()
    dist_7_sqr = ((a_3 - mean7) ** 2).mean().sqrt()
    print(f"one 3: L1 to mean3 {dist_3_abs.item():.4f}, to mean7 {dist_7_abs.item():.4f}; "
          f"L2 to mean3 {dist_3_sqr.item():.4f}, to mean7 {dist_7_sqr.item():.4f}")

    heading("Classifying the validation 3s and 7s (MNIST's test set)")
    valid_3_tens, valid_7_tens = stacked(data_dir, 3, False), stacked(data_dir, 7, False)
    print(f"valid_3_tens.shape = {tuple(valid_3_tens.shape)}, "
          f"valid_7_tens.shape = {tuple(valid_7_tens.shape)}")
    results = {"figure": fig, "fastai_l1": FASTAI_L1}
    for norm, distance in (("L1", mnist_distance), ("L2", mnist_distance_l2)):
        def is_3(x):
            return distance(x, mean3) < distance(x, mean7)

        accuracy_3s = is_3(valid_3_tens).float().mean().item()
        accuracy_7s = (1 - is_3(valid_7_tens).float()).mean().item()
        mean = (accuracy_3s + accuracy_7s) / 2
        print(f"{norm}: accuracy on 3s {accuracy_3s:.4f}, on 7s {accuracy_7s:.4f}, "
              f"mean {mean:.4f}")
        results[norm] = {"3s": accuracy_3s, "7s": accuracy_7s, "mean": mean}
    print(f"fastai's book, L1: 3s {FASTAI_L1['3s']}, 7s {FASTAI_L1['7s']}, "
          f"mean {FASTAI_L1['mean']}")
    note("no parameters, nothing learned: a strong baseline that a trained model must beat")
    note("broadcasting does the work: (1010, 28, 28) - (28, 28) subtracts the ideal from "
         "every image at once, and .mean((-1, -2)) gives one distance per image")
    return results
