"""`python -m classifier ...` runs the classifier CLI."""

from classifier.cli import app

if __name__ == "__main__":
    app()
