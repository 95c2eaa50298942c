"""The answer-quality eval suite: cases in `evals/*.yaml`, run by `netops eval` against the lab's scenarios."""
