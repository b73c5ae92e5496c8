"""examkit: grading and analytics for the 1+X Call Center Customer Service and Management exams."""

__version__ = "0.1.0"
