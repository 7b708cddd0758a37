"""Published guidance and papers cited in the ``sources`` of recommendations."""

S_AWS = (
    "AWS Well-Architected Framework, Sustainability Pillar (SUS04 region selection, SUS05 hardware, SUS02 scaling to "
    "demand, https://docs.aws.amazon.com/wellarchitected/latest/sustainability-pillar/) and AWS 'Optimizing "
    "generative AI workloads for sustainability' (2024)"
)
S_GCP = (
    "Google Cloud Architecture Framework: Sustainability, 'Use regions that consume low-carbon energy' and 'Optimize "
    "AI and ML workloads for energy efficiency' (https://cloud.google.com/architecture/framework/sustainability)"
)
S_AZURE = (
    "Microsoft Azure Well-Architected Framework, Sustainability workload guidance: application platform and AI/ML "
    "considerations (https://learn.microsoft.com/azure/well-architected/sustainability/)"
)
S_LORA = "Hu et al. 2021, LoRA: Low-Rank Adaptation of Large Language Models (arXiv:2106.09685)"
S_QLORA = "Dettmers et al. 2023, QLoRA: Efficient Finetuning of Quantized LLMs (arXiv:2305.14314)"
S_RAG = "Lewis et al. 2020, Retrieval-Augmented Generation for Knowledge-Intensive NLP Tasks (arXiv:2005.11401)"
S_MORRISON = (
    "Morrison et al. 2025, Holistically Evaluating the Environmental Impact of Creating Language Models (batching and "
    "idle capacity; arXiv:2503.05804)"
)
S_LUCCIONI = (
    "Luccioni, Jernite & Strubell 2024, Power Hungry Processing: Watts Driving the Cost of AI Deployment? (model size "
    "vs energy; arXiv:2311.16863)"
)
S_HYPERBAND = (
    "Li et al. 2018, Hyperband: A Novel Bandit-Based Approach to Hyperparameter Optimization (JMLR 18); Jamieson & "
    "Talwalkar 2016, successive halving"
)
S_FP8 = (
    "Micikevicius et al. 2022, FP8 Formats for Deep Learning (arXiv:2209.05433); Dettmers et al. 2022, LLM.int8() "
    "(arXiv:2208.07339); Frantar et al. 2023, GPTQ (arXiv:2210.17323)"
)
S_DODGE = (
    "Dodge et al. 2022, Measuring the Carbon Intensity of AI in Cloud Instances (region and time choice; "
    "arXiv:2206.05229)"
)
