"""Stages of `claimbook run`: each module defines STAGE = pipeline.Stage(...)."""
