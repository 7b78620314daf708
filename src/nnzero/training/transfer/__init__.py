"""Transfer learning on a frozen ImageNet backbone: cached features, a head fitted in seconds, fine-tuning.

The photo pipeline beside ``training/``'s epoch loop (DESIGN.md: one pipeline a package):

    from nnzero.training.transfer import fit_on_features, uses_features
    if uses_features(data_cfg, model_cfg):
        run = fit_on_features(data_cfg, model_cfg, train_cfg, run_dir)

``split.py`` holds the photos out, ``features.py`` computes and caches the backbone's features,
``head.py`` fits the classifier on them, ``fine_tune.py`` trains the last blocks, ``fit.py`` runs it all.
"""

from nnzero.training.transfer.fit import fit_on_features, uses_features

__all__ = ["fit_on_features", "uses_features"]
