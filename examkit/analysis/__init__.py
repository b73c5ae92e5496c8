"""Layer 6, analysis: pass rates, statistics, inter-rater agreement, fee reconciliation; frames in, frames out, no file access."""
