"""The bridge between the training loops and sklearn's callback API.

scikit-learn 1.9 added ``sklearn.callback``: an estimator that inherits
``CallbackSupportMixin`` opens a callback context at the start of ``fit`` and
reports each iteration as a subtask, so ``ProgressBar`` and ``ScoringMonitor``
work, and a callback can stop training. Here each epoch (or each L-BFGS/CG
iteration) is one subtask. On older scikit-learn the mixin is an empty class
and nothing is reported.
"""

try:
    from sklearn.callback import CallbackSupportMixin
except ImportError:  # scikit-learn < 1.9

    class CallbackSupportMixin:
        """Stand-in for scikit-learn < 1.9, which has no callback API."""


class FitReporter:
    """Reports one ``fit`` and its iterations to the estimator's callbacks.

    Parameters
    ----------
    estimator : estimator instance
        The estimator being fitted.
    X, y : array-like
        The training data, passed on to the hooks.
    sample_weight : ndarray or None
        Passed on to the hooks as metadata.
    max_subtasks : int
        Upper bound of the iterations to report.
    task_name : str
        Name of each iteration's subtask, e.g. "epoch".
    """

    def __init__(self, estimator, X, y, sample_weight, max_subtasks, task_name):
        self.estimator, self.task_name = estimator, task_name
        self.data = dict(X=X, y=y)
        if sample_weight is not None:
            self.data["metadata"] = {"sample_weight": sample_weight}
        self.context = None
        self.iteration = None
        if hasattr(estimator, "_init_callback_context"):
            self.context = estimator._init_callback_context(max_subtasks=max_subtasks)
            self.context.call_on_fit_task_begin(estimator=estimator, **self.data)

    def begin_iteration(self):
        """Open the next iteration's subtask."""
        if self.context is not None:
            self.iteration = self.context.subcontext(task_name=self.task_name)
            self.iteration.call_on_fit_task_begin(
                estimator=self.estimator,
                reconstruction_attributes=self.estimator._snapshot_attributes,
                **self.data,
            )

    def end_iteration(self):
        """Close the current iteration's subtask; return True if a callback stops."""
        if self.iteration is None:
            return False
        iteration, self.iteration = self.iteration, None
        return iteration.call_on_fit_task_end(
            estimator=self.estimator,
            reconstruction_attributes=self.estimator._snapshot_attributes,
            **self.data,
        )

    def end_fit(self):
        """Close an iteration left open (an interruption) and the fit task."""
        if self.context is None:
            return
        if self.iteration is not None:
            self.iteration.call_on_fit_task_end(estimator=self.estimator)
            self.iteration = None
        self.context.call_on_fit_task_end(
            estimator=self.estimator, reconstruction_attributes={}, **self.data
        )
