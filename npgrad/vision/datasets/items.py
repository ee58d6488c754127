"""What a dataset of in-memory images answers as a ``Dataset``: its length, one item, and a
whole batch at once. MNIST and CIFAR share it; each says where its arrays are."""
import numpy as np

from ...utils.data.collate import default_convert
from ...utils.data.dataset import Collated


def batchable(transform):
    """Can this transform take a whole batch of images at once (``transform.batch``)?"""
    return transform is None or callable(getattr(transform, "batch", None))


class ImageItems:
    """Mixed into a ``Dataset`` whose ``_images_and_labels()`` returns its images (an array,
    first axis the item) and its labels (an int64 array or a list), and which has
    ``transform`` and ``target_transform``."""

    def __len__(self):
        return len(self._images_and_labels()[0])

    def __getitem__(self, index):
        images, labels = self._images_and_labels()
        image, target = images[index].copy(), int(labels[index])
        if self.transform is not None:
            image = self.transform(image)
        if self.target_transform is not None:
            target = self.target_transform(target)
        return image, target

    def __getitems__(self, indices):
        """A whole batch by one fancy-index, transformed at once when the transforms can."""
        if not (batchable(self.transform) and batchable(self.target_transform)):
            return [self[i] for i in indices]
        images, labels = self._images_and_labels()
        index = np.asarray(indices, dtype=np.intp)
        images, targets = images[index], np.asarray(labels, dtype=np.int64)[index]
        if self.transform is not None:
            images = self.transform.batch(images)
        if self.target_transform is not None:
            targets = self.target_transform.batch(targets)
        return Collated([default_convert(images), default_convert(targets)])
