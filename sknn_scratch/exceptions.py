"""Warnings and errors specific to sknn_scratch."""


class InconsistentVersionWarning(UserWarning):
    """A model is unpickled with a sknn_scratch version other than the one that
    pickled it, like sklearn's warning of the same name.

    Parameters
    ----------
    estimator_name : str
        The estimator's class name.
    current_version : str
        The sknn_scratch version doing the loading.
    original_version : str
        The version that pickled the model.
    """

    def __init__(self, *, estimator_name, current_version, original_version):
        self.estimator_name = estimator_name
        self.current_version = current_version
        self.original_version = original_version

    def __str__(self):
        return (
            f"Trying to unpickle estimator {self.estimator_name} from sknn_scratch "
            f"version {self.original_version} when using version "
            f"{self.current_version}. This might lead to breaking code or invalid "
            "results. Use at your own risk."
        )
