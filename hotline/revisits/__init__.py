"""智能回访: a revisit plan per replied ticket, automated calls, the operators' revisit queue."""
