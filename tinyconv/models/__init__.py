"""Ready-made networks built from tinyconv's own layers."""

from tinyconv.models.lenet import LeNet5

__all__ = ["LeNet5"]
