"""``python -m npgrad.models --epochs 3``: train ``mnist_cnn`` on MNIST with the recipe of
``train_mnist_cnn`` and print the test accuracy after each epoch."""
import argparse

from .cnn import train_mnist_cnn

parser = argparse.ArgumentParser(prog="python -m npgrad.models", description=__doc__)
parser.add_argument("--epochs", type=int, default=3)
parser.add_argument("--data-dir", default=None,
                    help="folder holding MNIST/raw (torchvision layout)")
args = parser.parse_args()
train_mnist_cnn(args.epochs, data_dir=args.data_dir)
