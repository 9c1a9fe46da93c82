#!/usr/bin/env bash
# bench/run.sh — measure colorize against PyTorch on this machine, in one run,
# and print the ratio table (colorize time / PyTorch time; < 1 means faster).
#
#   ./bench/run.sh            GEMM, training step (+ inference, FID features when present)
#   BENCH_STEPS=5 BENCH_ROUNDS=3 ./bench/run.sh
#   BENCH_SKIP_PURE=1 ./bench/run.sh   leave the pure-Go build out of the rounds
#   BENCH_SKIP_GEMM=1 ./bench/run.sh   skip the GEMM comparison
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PY:-/usr/bin/python3}
STEPS=${BENCH_STEPS:-5}
THREADS=${BENCH_THREADS:-2}
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT

echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)"
echo "date:    $(date -u +%Y-%m-%dT%H:%MZ)"
echo

json() { $PY -c 'import json,sys; print(json.load(open(sys.argv[1]))[sys.argv[2]])' "$@"; }
metric() { # file unit -> value of the benchmark metric with that unit
	awk -v u="$2" '/^Benchmark/ { for (i = 4; i <= NF; i++) if ($i == u) { print $(i-1); exit } }' "$1"
}

# GEMM: internal/gemm against OpenBLAS and gonum on the products of one
# training step, each as often as the step runs it; 1 thread, and 2 threads
# as internal/kernels runs them (bands of single-threaded calls). The three
# take turns product by product; ROUNDS runs, median of each figure.
# OPENBLAS_NUM_THREADS=1: OpenBLAS's idle pool would spin beside the others.
ROUNDS=${BENCH_ROUNDS:-3}
if [ -z "${BENCH_SKIP_GEMM:-}" ]; then
	go test -tags openblas -c -o "$out/gemm.test" ./internal/gemm
	for r in $(seq 1 "$ROUNDS"); do
		OPENBLAS_NUM_THREADS=1 "$out/gemm.test" -test.run '^$' -test.bench '^BenchmarkTrainingStepGEMM$' -test.benchtime 1x >>"$out/gemm.txt"
	done
	awk '/^BenchmarkTrainingStepGEMM/ {
			split($1, p, "/"); sub(/-[0-9]+$/, "", p[2])
			for (i = 6; i <= NF; i += 2) { key = p[2] " " $i; n[key]++; v[key, n[key]] = $(i-1); all[key] = all[key] " " $(i-1) }
		}
		END {
			for (key in n) {
				m = n[key]; for (i = 1; i <= m; i++) s[i] = v[key, i]
				for (i = 1; i <= m; i++) for (j = i + 1; j <= m; j++) if (s[j] < s[i]) { t = s[i]; s[i] = s[j]; s[j] = t }
				printf "%-44s %8.2f  (rounds:%s)\n", "GEMM of a step, " key, s[int((m + 1) / 2)], all[key] | "sort"
			}
		}' "$out/gemm.txt"
	echo "(gemm/openblas is internal/gemm's time over OpenBLAS's: below 1 is faster)"
	echo
fi

# The floor: the products' operations of a step or pass (the benchmarks'
# GFLOP/step and GFLOP/infer) at the micro-kernel's in-cache speed with
# every core running it at once; "floor" rows set that time beside
# PyTorch's. This VM's speed drifts within seconds, so the speed is taken
# before and after each round and the faster of the two used: a target
# below a round's floor ratio was out of reach in that round.
CGO_ENABLED=0 go test -c -o "$out/kernel.test" ./internal/gemm
peak() { # -> GFLOP/s, all cores
	local i
	for i in $(seq 1 "$(nproc)"); do
		"$out/kernel.test" -test.run '^$' -test.bench '^BenchmarkKernelL1$' -test.benchtime 1s -test.cpu 1 >"$out/peak$i.txt" &
	done
	wait
	cat "$out"/peak*.txt | awk '/^BenchmarkKernelL1/ { for (i = 4; i <= NF; i++) if ($i == "GFLOP/s") s += $(i-1) } END { printf "%.1f", s }'
}
faster() { awk -v a="$1" -v b="$2" 'BEGIN { print (a > b ? a : b) }'; }
median() { printf '%s\n' "$@" | sort -g | awk '{ v[NR] = $1 } END { printf "%.2f", v[int((NR + 1) / 2)] }'; }

printf '%-44s %12s %12s %8s\n' benchmark colorize_s pytorch_s ratio
row() { awk -v n="$1" -v a="$2" -v b="$3" 'BEGIN { printf "%-44s %12.3f %12.3f %8.2f\n", n, a, b, a / b }'; }

# Training step: ROUNDS interleaved rounds of PyTorch, the OpenBLAS build and
# the pure-Go build, in an order that rotates each round (so a slow drift of
# the machine's load falls on all), each comparing per-step medians; the
# summary is the median round.
go test -tags openblas -c -o "$out/gan.test" ./internal/gan
builds="openblas"
if [ -z "${BENCH_SKIP_PURE:-}" ]; then
	CGO_ENABLED=0 go test -c -o "$out/gan-pure.test" ./internal/gan
	builds="openblas pure"
fi
declare -A ratios
floors=""
for r in $(seq 1 "$ROUNDS"); do
	pk=$(peak)
	steps=(torch $builds)
	n=${#steps[@]}
	for i in $(seq 0 $((n - 1))); do
		case ${steps[$(((i + r - 1) % n))]} in
		torch) $PY bench/train_step_torch.py --steps "$STEPS" --threads "$THREADS" >"$out/torch$r.json" ;;
		openblas) "$out/gan.test" -test.run '^$' -test.bench '^BenchmarkTrainStep$' -test.benchtime "${STEPS}x" >"$out/go$r.txt" ;;
		pure) "$out/gan-pure.test" -test.run '^$' -test.bench '^BenchmarkTrainStep$' -test.benchtime "${STEPS}x" >"$out/pure$r.txt" ;;
		esac
	done
	tm=$(json "$out/torch$r.json" sec_per_step)
	for b in $builds; do
		f="$out/go$r.txt"
		[ "$b" = pure ] && f="$out/pure$r.txt"
		gm=$(metric "$f" s/step-median)
		row "train step 128², $b, round $r (median)" "$gm" "$tm"
		row "train step 128², $b, round $r (fastest)" "$(metric "$f" s/step-min)" "$(json "$out/torch$r.json" min)"
		ratios[$b]+="$(awk -v a="$gm" -v b="$tm" 'BEGIN { print a / b }') "
	done
	pk=$(faster "$pk" "$(peak)")
	fl=$(awk -v g="$(metric "$out/go$r.txt" GFLOP/step)" -v p="$pk" 'BEGIN { print g / p }')
	row "train step 128², floor ($pk GFLOP/s), round $r" "$fl" "$tm"
	floors+="$(awk -v a="$fl" -v b="$tm" 'BEGIN { print a / b }') "
done
for b in $builds; do
	printf '%-44s %38s\n' "train step 128², $b, median round" "$(median ${ratios[$b]})"
done
printf '%-44s %38s\n' "train step 128², floor, median round" "$(median $floors)"
echo "peak RSS (MiB), last round: colorize $(metric "$out/go$ROUNDS.txt" MiB-peak-rss)$([ -f "$out/pure$ROUNDS.txt" ] && echo ", pure Go $(metric "$out/pure$ROUNDS.txt" MiB-peak-rss)"), pytorch $(json "$out/torch$ROUNDS.json" peak_rss_mb)"

# (grep on captured output: with pipefail, grep -q closing the pipe early
# would fail the test.)
has() { case "$(go test -list "$2" "$1" 2>/dev/null)" in *"$2"*) return 0 ;; esac; return 1; }
# Inference: ROUNDS interleaved rounds per size, rotating like the training
# step's; each figure is the median of STEPS passes after a warm-up pass,
# on both sides.
if [ -f bench/infer_torch.py ] && has ./internal/unet BenchmarkInfer; then
	go test -tags openblas -c -o "$out/unet.test" ./internal/unet
	[ -z "${BENCH_SKIP_PURE:-}" ] && CGO_ENABLED=0 go test -c -o "$out/unet-pure.test" ./internal/unet
	unet() { # binary side -> seconds of the median pass
		(cd internal/unet && "$1" -test.run '^$' -test.bench "^BenchmarkInfer/$2\$" -test.benchtime "${STEPS}x") >"$out/unet.txt"
		metric "$out/unet.txt" s/infer-median
	}
	for side in 256 512; do
		declare -A iratios=()
		ifloors=""
		for r in $(seq 1 "$ROUNDS"); do
			pk=$(peak)
			steps=(torch $builds)
			n=${#steps[@]}
			declare -A got=()
			for i in $(seq 0 $((n - 1))); do
				case ${steps[$(((i + r - 1) % n))]} in
				torch) got[torch]=$($PY bench/infer_torch.py --size "$side" --threads "$THREADS" --reps "$STEPS" | $PY -c 'import json,sys; print(json.load(sys.stdin)["sec"])') ;;
				openblas) got[openblas]=$(unet "$out/unet.test" "$side") ;;
				pure) got[pure]=$(unet "$out/unet-pure.test" "$side") ;;
				esac
			done
			for b in $builds; do
				label="OpenBLAS build"
				[ "$b" = pure ] && label="pure Go"
				row "infer ${side}² depth 8 ($label), round $r" "${got[$b]}" "${got[torch]}"
				iratios[$b]+="$(awk -v a="${got[$b]}" -v b="${got[torch]}" 'BEGIN { print a / b }') "
			done
			pk=$(faster "$pk" "$(peak)")
			fl=$(awk -v g="$(metric "$out/unet.txt" GFLOP/infer)" -v p="$pk" 'BEGIN { print g / p }')
			row "infer ${side}², floor ($pk GFLOP/s), round $r" "$fl" "${got[torch]}"
			ifloors+="$(awk -v a="$fl" -v b="${got[torch]}" 'BEGIN { print a / b }') "
		done
		for b in $builds; do
			label="OpenBLAS build"
			[ "$b" = pure ] && label="pure Go"
			printf '%-44s %38s\n' "infer ${side}² ($label), median round" "$(median ${iratios[$b]})"
		done
		printf '%-44s %38s\n' "infer ${side}², floor, median round" "$(median $ifloors)"
	done
fi
# FID features: ROUNDS rounds of 16 images (batch 8 on both sides), the
# two sides in turn, first alternating.
if [ -f bench/fid_features.py ] && has ./internal/fid BenchmarkFeatures; then
	go test -tags openblas -c -o "$out/fid.test" ./internal/fid
	fratios="" ffloors=""
	for r in $(seq 1 "$ROUNDS"); do
		pk=$(peak)
		for i in 0 1; do
			if [ $(((i + r) % 2)) = 0 ]; then
				t=$($PY bench/fid_features.py --threads "$THREADS" --images 16 --batch 8 | $PY -c 'import json,sys; print(json.load(sys.stdin)["sec_per_image"])')
			else
				(cd internal/fid && "$out/fid.test" -test.run '^$' -test.bench '^BenchmarkFeatures$' -test.benchtime 16x) >"$out/fid.txt"
				g=$(awk '/^BenchmarkFeatures/ { print $3 / 1e9; exit }' "$out/fid.txt")
			fi
		done
		pk=$(faster "$pk" "$(peak)")
		row "FID features per image (openblas), round $r" "$g" "$t"
		fl=$(awk -v g="$(metric "$out/fid.txt" GFLOP/image)" -v p="$pk" 'BEGIN { print g / p }')
		row "FID features, floor ($pk GFLOP/s), round $r" "$fl" "$t"
		fratios+="$(awk -v a="$g" -v b="$t" 'BEGIN { print a / b }') "
		ffloors+="$(awk -v a="$fl" -v b="$t" 'BEGIN { print a / b }') "
	done
	printf '%-44s %38s\n' "FID features per image, median round" "$(median $fratios)"
	printf '%-44s %38s\n' "FID features, floor, median round" "$(median $ffloors)"
fi

# ONNX Runtime (onnxruntime-node from scripts/ort-install) running the
# exported depth-8 generator, against colorize in the same benchmark run.
if [ -f "${COLORIZE_ORT_DIR:-.cache/ort}/node_modules/onnxruntime-node/package.json" ] && has ./internal/export BenchmarkONNXRuntime; then
	go test -tags openblas -run '^$' -bench '^BenchmarkONNXRuntime$' -benchtime "${STEPS}x" -count 1 ./internal/export >"$out/ort.txt"
	echo
	printf '%-34s %12s %12s %8s\n' benchmark colorize_s ort_s ratio
	for side in 256 512; do
		awk -v n="BenchmarkONNXRuntime/$side-" '$1 ~ n { for (i = 4; i <= NF; i++) v[$i] = $(i-1);
			printf "%-34s %12.3f %12.3f %8.2f\n", "infer '"$side"'² depth 8, ORT", v["s/infer-colorize"], v["s/infer-ort"], v["colorize/ort"] }' "$out/ort.txt"
	done
fi
