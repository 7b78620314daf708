"""Exporters: a trained checkpoint as files that predict the same without nnzero.

    from nnzero.export import export_model
    export_model("runs/NAME/best.pt", "export/")              # model.onnx, preprocess.json, labels, card
    export_model("runs/NAME/best.pt", "site/", fmt="web")     # + a page that runs it in the browser
    data, result = export_zip("runs/NAME/best.pt", "web")     # the same as one .zip, for a download button

Above inference (it checks an export against the checkpoint's own predictions) and below the web
app and the commands, which call it (the Teach page's export button, ``nnzero export``).
"""

from nnzero.export.exporter import FORMATS, export_model, export_zip
from nnzero.export.onnx_files import TOLERANCE

__all__ = ["FORMATS", "TOLERANCE", "export_model", "export_zip"]
