"""The open monitoring backend's analysis script (issue 14, design14 §1).

This package is the code input of the backend's SageMaker Processing job: the job copies it to
``/opt/ml/processing/input/code/open_monitor/`` and runs ``python3 -m open_monitor <mode>`` in the scikit-learn
container (Python 3.8). It therefore keeps to Python 3.8 syntax, the standard library and numpy, imports only its
own modules (relatively), and imports nothing from the rest of ``sagemaker_constructs``.

Modules:

- :mod:`.cli` and ``__main__``: the command line (``analyze [--partial]``, ``merge``);
- :mod:`.run`: the library API (``analyze``, ``analyze_partial``, ``merge``) and the per-monitor-type registry;
- :mod:`.paths`: the container paths;
- :mod:`.capture`: streaming readers of endpoint capture files and batch transform data files;
- :mod:`.formats`: payload parsing (CSV, JSON, JSON Lines) shared by the readers;
- :mod:`.data_quality` (with :mod:`.dq_checks`): the DataQuality monitor type (statistics, constraint checks,
  drift);
- :mod:`.partials`: exact, mergeable accumulators used by the monitor types;
- :mod:`.report`: a monitor type's :class:`~.report.Result` and the output files (``summary.json`` and the rest).

The other monitor types plug into :data:`.run.REGISTRY` (see :mod:`.run` for the interface).
"""
