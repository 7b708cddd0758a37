"""Request examples shown in openapi.yaml and README; the API tests post every one of them."""

from __future__ import annotations

TRAINING_EXAMPLES = {
    "from-model-and-tokens": {
        "summary": "Llama 3.1 8B pre-training on 1,024 H100 in AWS us-east-1",
        "value": {
            "model": {"preset": "llama-3.1-8b"},
            "training_tokens_billion": 15000,
            "hardware": {"accelerator": "nvidia-h100-sxm5-80gb", "count": 1024},
            "datacenter": {"provider": "aws", "region": "us-east-1"},
        },
    },
    "from-accelerator-hours": {
        "summary": "Published convention: GPU-hours x 400 W, PUE 1.1, 385 gCO2e/kWh (LLaMA-1 Table 15)",
        "value": {
            "hardware": {"accelerator": "nvidia-a100-sxm4-80gb", "power_w": 400, "host_overhead_fraction": 0},
            "accelerator_hours": 82432,
            "datacenter": {"pue": 1.1, "carbon_intensity_gco2e_per_kwh": 385},
            "include_embodied": False,
        },
    },
    "from-duration": {
        "summary": "8 x A100 for 10 hours in Google us-central1",
        "value": {
            "hardware": {"instance_type": "a2-highgpu-8g", "count": 1},
            "duration_hours": 10,
            "datacenter": {"provider": "gcp", "region": "us-central1"},
        },
    },
    "own-accelerator": {
        "summary": "An accelerator the catalog does not list, described by its datasheet figures",
        "value": {
            "model": {"parameters_billion": 3},
            "training_tokens_billion": 300,
            "hardware": {
                "spec": {
                    "name": "Example NPU 96GB",
                    "tdp_w": 600,
                    "memory_gb": 96,
                    "memory_bandwidth_gb_per_s": 3200,
                    "peak_tflops": {"bf16": 800, "fp8": 1600},
                },
                "count": 64,
            },
            "datacenter": {"country": "FR"},
        },
    },
}

FINE_TUNING_EXAMPLES = {
    "qlora-65b": {
        "summary": "QLoRA of a 65B model on one 48 GB GPU (Dettmers et al. 2023)",
        "value": {
            "model": {"preset": "llama-1-65b"},
            "method": "qlora",
            "dataset_tokens_million": 10,
            "epochs": 3,
            "hardware": {"accelerator": "nvidia-l40s"},
            "datacenter": {"country": "US"},
        },
    },
    "full-8b": {
        "summary": "Full fine-tuning of Llama 3.1 8B on H100s in Azure Sweden Central",
        "value": {
            "model": {"preset": "llama-3.1-8b"},
            "method": "full",
            "dataset_tokens_million": 200,
            "hardware": {"accelerator": "nvidia-h100-sxm5-80gb"},
            "datacenter": {"provider": "azure", "region": "swedencentral"},
        },
    },
    "measured-with-codecarbon": {
        "summary": "A LoRA run whose energy CodeCarbon measured (emissions.csv energy_consumed, 42.7 kWh)",
        "value": {
            "model": {"preset": "llama-3.1-8b"},
            "method": "lora",
            "dataset_tokens_million": 50,
            "hardware": {"accelerator": "nvidia-a100-sxm4-80gb", "count": 2},
            "measured": {"it_energy_kwh": 42.7, "scope": "it"},
            "datacenter": {"provider": "gcp", "region": "europe-west4"},
        },
    },
}

INFERENCE_EXAMPLES = {
    "on-demand-chat": {
        "summary": "One million chat requests to Llama 3.1 70B on H100 in AWS eu-west-1",
        "value": {
            "model": {"preset": "llama-3.1-70b"},
            "hardware": {"accelerator": "nvidia-h100-sxm5-80gb"},
            "requests": 1000000,
            "input_tokens_per_request": 800,
            "output_tokens_per_request": 300,
            "datacenter": {"provider": "aws", "region": "eu-west-1"},
        },
    },
    "dedicated-rag": {
        "summary": "Two dedicated replicas for a month serving a RAG assistant",
        "value": {
            "model": {"preset": "llama-3.1-8b"},
            "hardware": {"instance_type": "g6e.xlarge"},
            "requests": 500000,
            "input_tokens_per_request": 200,
            "output_tokens_per_request": 250,
            "deployment": {"mode": "dedicated", "replicas": 2, "hours": 720},
            "rag": {
                "retrieved_tokens_per_request": 2000,
                "embedding_parameters_billion": 0.335,
                "corpus_tokens_billion": 0.5,
            },
            "datacenter": {"provider": "aws", "region": "us-west-2"},
        },
    },
    "traffic-and-latency-target": {
        "summary": "Dedicated gpt-oss-120b replicas sized by their traffic (2 requests/s) and latency targets",
        "value": {
            "model": {"preset": "gpt-oss-120b"},
            "hardware": {"accelerator": "nvidia-h100-sxm5-80gb", "count": 1},
            "traffic": {"requests_per_second": 2},
            "input_tokens_per_request": 1500,
            "output_tokens_per_request": 600,
            "deployment": {"mode": "dedicated", "replicas": 2, "hours": 720},
            "slo": {"max_latency_seconds": 30, "max_time_to_first_token_seconds": 1},
            "datacenter": {"provider": "gcp", "region": "europe-west4"},
        },
    },
    "moe-batch-cap": {
        "summary": "Qwen3 30B-A3B (mixture-of-experts) capped at 256 sequences with 6,000-token prompts: the KV "
        "cache holds fewer (warning batch-limited-by-memory)",
        "value": {
            "model": {"preset": "qwen3-30b-a3b"},
            "hardware": {"accelerator": "nvidia-h100-sxm5-80gb", "count": 1},
            "requests": 200000,
            "input_tokens_per_request": 6000,
            "output_tokens_per_request": 400,
            "batch_size": 256,
            "datacenter": {"country": "SE"},
        },
    },
}

RECOMMENDATION_EXAMPLES = {
    "inference-70b-coal-grid": {
        "summary": "Llama 3.1 70B on 4 x H100, two dedicated replicas for a month in AWS Mumbai (coal-heavy grid)",
        "value": {
            "kind": "inference",
            "workload": {
                "model": {"preset": "llama-3.1-70b"},
                "hardware": {"accelerator": "nvidia-h100-sxm5-80gb", "count": 4},
                "requests": 1000000,
                "input_tokens_per_request": 1000,
                "output_tokens_per_request": 300,
                "deployment": {"mode": "dedicated", "replicas": 2, "hours": 720},
                "datacenter": {"provider": "aws", "region": "ap-south-1"},
            },
            "constraints": {"providers": ["aws"], "max_latency_seconds_per_request": 30},
        },
    },
    "full-fine-tune-8b": {
        "summary": "Full fine-tuning of Llama 3.1 8B, with a RAG break-even for 20,000 requests; EU regions only",
        "value": {
            "kind": "fine-tuning",
            "workload": {
                "model": {"preset": "llama-3.1-8b"},
                "method": "full",
                "dataset_tokens_million": 100,
                "epochs": 3,
                "hardware": {"accelerator": "nvidia-a100-sxm4-80gb", "count": 4},
                "runs": 2,
                "datacenter": {"provider": "aws", "region": "us-east-1"},
            },
            "constraints": {"countries": ["DE", "FR", "SE", "FI", "IE", "NL"]},
            "rag_comparison": {"expected_requests": 20000, "retrieved_tokens_per_request": 1500},
        },
    },
    "training-search": {
        "summary": "Three Llama 3.1 8B pre-training runs on 1,024 H100",
        "value": {
            "kind": "training",
            "workload": {
                "model": {"preset": "llama-3.1-8b"},
                "training_tokens_billion": 15000,
                "hardware": {"accelerator": "nvidia-h100-sxm5-80gb", "count": 1024},
                "runs": 3,
                "datacenter": {"provider": "azure", "region": "eastus"},
            },
            "constraints": {"exclude_accelerators": ["nvidia-gb200"]},
        },
    },
}

COMPARE_EXAMPLES = {
    "where-to-serve": {
        "summary": "The same Llama 3.1 8B service in three places, and quantized",
        "value": {
            "kind": "inference",
            "scenarios": [
                {
                    "name": "virginia-bf16",
                    "workload": {
                        "model": {"preset": "llama-3.1-8b"},
                        "hardware": {"accelerator": "nvidia-h100-sxm5-80gb"},
                        "requests": 1000000,
                        "datacenter": {"provider": "aws", "region": "us-east-1"},
                    },
                },
                {
                    "name": "stockholm-bf16",
                    "workload": {
                        "model": {"preset": "llama-3.1-8b"},
                        "hardware": {"accelerator": "nvidia-h100-sxm5-80gb"},
                        "requests": 1000000,
                        "datacenter": {"provider": "aws", "region": "eu-north-1"},
                    },
                },
                {
                    "name": "virginia-fp8",
                    "workload": {
                        "model": {"preset": "llama-3.1-8b"},
                        "hardware": {"accelerator": "nvidia-h100-sxm5-80gb", "precision": "fp8"},
                        "requests": 1000000,
                        "datacenter": {"provider": "aws", "region": "us-east-1"},
                    },
                },
            ],
        },
    },
}
