"""Teach: your own classes from the browser. A project folder of examples, features computed as they
arrive, a training in seconds, the model served at once (``nnzero teach DIR``; docs/teach.md).

    from nnzero.serving.teach import Teacher
    teacher = Teacher("my_classes").start()
    teacher.add("mug", [(open("mug.jpg", "rb").read(), "mug.jpg")])

``names.py`` what a class may be called and how examples are named, ``store.py`` the folder of examples,
``worker.py`` the background features, ``training.py`` one training and its summary, ``advice.py`` the
warnings, ``session.py`` all of it for one open project.
"""

from nnzero.serving.teach.names import NameRefused, check_class_name
from nnzero.serving.teach.session import DEFAULT_BACKBONE, Busy, Teacher
from nnzero.serving.teach.store import Project, ProjectFull

__all__ = ["DEFAULT_BACKBONE", "Busy", "NameRefused", "Project", "ProjectFull", "Teacher", "check_class_name"]
