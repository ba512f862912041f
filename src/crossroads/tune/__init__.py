"""Customize the self-hosted model on the team's own traffic: collect, fine-tune, evaluate, route.

    collect.py     (prompt, hosted answer) pairs from the content log and shadow records -> chat JSONL
    dataset.py     the Example value, de-duplication, the split by time, the JSONL files
    train.py       LoRA fine-tuning of the embedded model on CPU (transformers + peft)
    gguf_lora.py   a peft adapter written as a GGUF LoRA adapter llama.cpp loads
    route.py       the routing config that serves the tuned model first, cascading to the hosted one
    tickets.py     the shipped demo task: support tickets to JSON records

Every module imports its heavy dependencies (torch, transformers, peft) inside functions.
"""
