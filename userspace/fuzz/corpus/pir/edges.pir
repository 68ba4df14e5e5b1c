# SPDX-License-Identifier: GPL-2.0-or-later
# PIR
0.5 1
1.25 0
3 1 # again
4.000001 0
