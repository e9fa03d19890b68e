"""kapsim: discrete-event simulation of Denmark's secure places for children and young people."""

__version__ = "0.1.0"
