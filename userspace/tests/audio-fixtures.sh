#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
#
# Synthesise the sound-alert fixtures with sox and espeak-ng into DIR, as
# raw 16 kHz mono S16LE (what vigild captures; alsa-lib's file plugin reads
# raw). Every fixture lies on a pink-noise bed at about -60 dBFS (a quiet
# room through a real microphone is never digital silence) and starts with
# 1.5 s of it, so the detectors' floors have something to learn.
#
#   audio-fixtures.sh DIR [NAME...]   only the NAMEd fixtures (the VM test)
#
# Positives: t3-3100 (two T3 cycles of a 3.1 kHz tone), t3-520 (two T3
# cycles of a 520 Hz square wave), t4 (two T4 cycles at 3.1 kHz), glass (two
# glass-like impacts: a 90 Hz thump and a decaying high-passed noise burst).
# Negatives: tone (steady 3.1 kHz, 10 s), speech (espeak-ng), music (note
# sequences, including 0.5 s C5 notes), noise (steady white and pink).
# Noise for the SNR runs: pink (20 s of pink noise at full scale).
set -eu
D=${1:?usage: audio-fixtures.sh DIR [NAME...]}
shift
ONLY=" $* "
want() { [ "$ONLY" = "  " ] || case $ONLY in *" $1 "*) true ;; *) false ;; esac; }
mkdir -p "$D"
cd "$D"
OUT="-r 16000 -c 1 -b 16 -e signed-integer"
S() { sox -q -n $OUT "$@"; }

# the pieces
S beep3.wav synth 0.5 sine 3100 vol 0.3
S beep520.wav synth 0.5 square 520 vol 0.2
S pulse.wav synth 0.1 sine 3100 vol 0.3
S gap.wav trim 0 0.5
S gap1.wav trim 0 0.1
S pause.wav trim 0 1.5
S pause5.wav trim 0 5
S lead.wav trim 0 1.5
S tail.wav trim 0 2

# bed: pink noise around -60 dBFS, as long as the fixture
bed() { # bed FILE.wav OUT.raw
	len=$(soxi -D "$1")
	S bed.wav synth "$len" pinknoise vol 0.002
	sox -q -m "$1" bed.wav $OUT -t raw "$2"
	rm -f bed.wav "$1"
}

t3() { # t3 BEEP OUT
	sox -q lead.wav "$1" gap.wav "$1" gap.wav "$1" pause.wav \
		"$1" gap.wav "$1" gap.wav "$1" pause.wav tail.wav x.wav
	bed x.wav "$2"
}
want t3-3100 && t3 beep3.wav t3-3100.raw
if want t3-520; then t3 beep520.wav t3-520.raw; fi
# the alarm alone (no bed, no lead): mixed with noise at a chosen SNR
want t3-clean && sox -q beep3.wav gap.wav beep3.wav gap.wav beep3.wav pause.wav \
	beep3.wav gap.wav beep3.wav gap.wav beep3.wav pause.wav $OUT -t raw t3-clean.raw

if want t4; then
sox -q lead.wav pulse.wav gap1.wav pulse.wav gap1.wav pulse.wav gap1.wav pulse.wav pause5.wav \
	pulse.wav gap1.wav pulse.wav gap1.wav pulse.wav gap1.wav pulse.wav pause5.wav x.wav
bed x.wav t4.raw
fi

# glass: a low thump and a decaying broadband high burst, twice
if want glass; then
S thump.wav synth 0.06 sine 90 fade 0 0.06 0.04 vol 0.9
S burst.wav synth 0.45 whitenoise vol 0.5 highpass 1800 fade l 0.002 0.45 0.44
sox -q -m thump.wav burst.wav crash.wav
sox -q lead.wav crash.wav pause.wav pause.wav crash.wav tail.wav x.wav
bed x.wav glass.raw
fi

# negatives
if want tone; then
S x.wav synth 10 sine 3100 vol 0.3
bed x.wav tone.raw
fi
if want speech; then
espeak-ng -w sp.wav "The quick brown fox jumps over the lazy dog. \
Please remember to switch off the lights and close the kitchen window \
before you leave the house this evening."
sox -q sp.wav $OUT x0.wav gain -n -25
sox -q lead.wav x0.wav x.wav
bed x.wav speech.raw
rm -f sp.wav x0.wav
fi
if want music; then
# note sequences with harmonics at a room level (-33 dBFS): C5 (523 Hz)
# recurs in 0.5 s notes exactly in the T3 rhythm, other notes between
S x0.wav synth 0.5 sine 523 sine 1046 vol 0.03 : synth 0.5 sine 659 sine 1318 vol 0.03 \
	: synth 0.5 sine 523 sine 1046 vol 0.03 : synth 0.5 sine 784 sine 1568 vol 0.03 \
	: synth 0.5 sine 523 sine 1046 vol 0.03 : synth 0.25 sine 880 vol 0.03 \
	: synth 0.25 sine 988 vol 0.03 : synth 1 sine 1046 vol 0.03 \
	: synth 0.5 sine 3136 vol 0.02 : synth 0.5 sine 2637 vol 0.02 \
	: synth 0.5 sine 3136 vol 0.02 : synth 0.5 sine 2093 vol 0.02 \
	: synth 0.5 pluck 523 vol 0.06 : synth 0.5 pluck 392 vol 0.06 \
	: synth 0.5 pluck 523 vol 0.06 : synth 1.5 pluck 330 vol 0.06
sox -q lead.wav x0.wav x0.wav x.wav
bed x.wav music.raw
rm -f x0.wav
fi
if want noise; then
S x.wav synth 10 whitenoise vol 0.05 : synth 10 pinknoise vol 0.05
bed x.wav noise.raw
fi
if want pink; then
S pink.wav synth 20 pinknoise
sox -q pink.wav $OUT -t raw pink.raw
fi

rm -f ./*.wav
