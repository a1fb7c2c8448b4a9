"""The desk: /claims and /factcheck, listings under the private-channel rule, weekly summaries, App Home, exports."""
