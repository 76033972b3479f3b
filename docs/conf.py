"""Sphinx configuration of the sknn_scratch documentation.

Build it, warnings as errors and the gallery included, from the repository root:

    python -m sphinx -W --keep-going -b html docs docs/_build/html

Add ``-D plot_gallery=0`` to skip running the examples while editing the text.
"""

import os
import warnings

from sphinx_gallery.sorting import ExplicitOrder
from threadpoolctl import threadpool_limits

import sknn_scratch

project = "sknn_scratch"
author = "The sknn_scratch developers"
copyright = "The sknn_scratch developers"
version = release = sknn_scratch.__version__

extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.autosummary",
    "sphinx.ext.mathjax",
    "sphinx.ext.viewcode",
    "numpydoc",
    "sphinx_gallery.gen_gallery",
    "matplotlib.sphinxext.plot_directive",
]

# The pages are rst; MyST is not needed.
source_suffix = {".rst": "restructuredtext"}
root_doc = "index"
exclude_patterns = ["_build", "Thumbs.db", ".DS_Store", "**/*.ipynb", "**/*.zip"]
templates_path = []

# -- autodoc / numpydoc ---------------------------------------------------
autodoc_default_options = {"member-order": "bysource"}
autodoc_typehints = "none"  # numpydoc's "Parameters" already carry the types
autosummary_generate = False  # the API pages are written by hand, nothing generated
numpydoc_show_class_members = False  # the class pages list members with :members:
numpydoc_class_members_toctree = False
numpydoc_attributes_as_param_list = True

# No intersphinx: the build must work offline (CI has no network besides PyPI).

# -- matplotlib's plot directive (the architecture diagrams) -----------------
plot_include_source = False
plot_html_show_source_link = False
plot_html_show_formats = False
plot_formats = [("png", 110)]
plot_rcparams = {"savefig.bbox": "tight"}

# -- HTML -------------------------------------------------------------------
html_theme = "pydata_sphinx_theme"
html_title = f"sknn_scratch {release}"
html_theme_options = {
    "navigation_with_keys": False,
    "show_toc_level": 2,
    "secondary_sidebar_items": ["page-toc", "sg_download_links", "sg_launcher_links"],
}
html_sidebars = {"changelog": [], "comparison": [], "parity": []}
html_show_sourcelink = False

# -- sphinx-gallery ---------------------------------------------------------
# The examples must stay fast: the whole build (gallery included) runs in CI on
# two cores in a few minutes.
sphinx_gallery_conf = {
    "examples_dirs": ["../examples"],
    "gallery_dirs": ["auto_examples"],
    "filename_pattern": r"/plot_",
    "ignore_pattern": r"__init__\.py",
    "download_all_examples": False,
    "remove_config_comments": True,
    # From first steps to tools; examples not listed (other contributors') go last.
    "within_subsection_order": ExplicitOrder(
        [
            "plot_xor.py",
            "plot_sine_regression.py",
            "plot_gaussian_mixture.py",
            "plot_moons_hidden_sizes.py",
            "plot_training_animation.py",
            "plot_captcha_characters.py",
            "plot_optimizer_comparison.py",
            "plot_regularization.py",
            "plot_gradient_check.py",
            "plot_sklearn_comparison.py",
            "plot_ensembles.py",
            "plot_grid_search_persistence.py",
            "plot_onnx_export.py",
            "*",
        ]
    ),
    "write_computation_times": False,  # keeps the source tree free of generated rst
    "abort_on_example_error": False,
    "only_warn_on_example_error": False,
    "image_scrapers": ("matplotlib",),
    "matplotlib_animations": False,
    "show_memory": False,
    "min_reported_time": 1,
}

# The examples train small networks, whose matrix products are too small to
# gain from several BLAS threads; on a busy machine, extra threads only wait
# for each other (a 10x slowdown was measured under load). One thread keeps the
# build time predictable. Timings printed by the examples are therefore
# single-threaded ones.
threadpool_limits(limits=1, user_api="blas")

# Examples run with the non-interactive backend; keep third-party noise out of
# the rendered pages.
os.environ.setdefault("MPLBACKEND", "agg")
warnings.filterwarnings(
    "ignore",
    category=UserWarning,
    message="Matplotlib is currently using agg, which is a non-GUI backend",
)
