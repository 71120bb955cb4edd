"""Policies and learning: BC, conditional VAE, evaluation.

torch, numpy, gymnasium and recordings only; never Qt.
"""
