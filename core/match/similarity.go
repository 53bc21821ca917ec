package match

import "sort"

// jaroWinkler is the Jaro-Winkler similarity of a and b in 0..1; it forgives
// typos and favors a shared beginning, which suits single words of names.
func jaroWinkler(a, b string) float64 {
	if a == b {
		return 1
	}
	ra, rb := []rune(a), []rune(b)
	if len(ra) == 0 || len(rb) == 0 {
		return 0
	}
	if len(ra) > len(rb) {
		ra, rb = rb, ra
	}
	window := len(rb)/2 - 1
	if window < 0 {
		window = 0
	}
	var matchedA [64]bool
	var matchedB [64]bool
	if len(ra) > 64 || len(rb) > 64 {
		ra, rb = truncRunes(ra, 64), truncRunes(rb, 64)
	}
	matches := 0
	for i, r := range ra {
		lo, hi := max(0, i-window), min(len(rb), i+window+1)
		for j := lo; j < hi; j++ {
			if !matchedB[j] && rb[j] == r {
				matchedA[i], matchedB[j] = true, true
				matches++
				break
			}
		}
	}
	if matches == 0 {
		return 0
	}
	transpositions, j := 0, 0
	for i := range ra {
		if !matchedA[i] {
			continue
		}
		for !matchedB[j] {
			j++
		}
		if ra[i] != rb[j] {
			transpositions++
		}
		j++
	}
	m := float64(matches)
	jaro := (m/float64(len(ra)) + m/float64(len(rb)) + (m-float64(transpositions/2))/m) / 3
	prefix := 0
	for prefix < 4 && prefix < len(ra) && ra[prefix] == rb[prefix] {
		prefix++
	}
	return jaro + float64(prefix)*0.1*(1-jaro)
}

func truncRunes(r []rune, n int) []rune {
	if len(r) > n {
		return r[:n]
	}
	return r
}

// trigrams returns the sorted, deduplicated trigram hashes of s padded with
// one boundary mark on each side, so short strings still have trigrams.
func trigrams(s string) []uint64 {
	r := make([]rune, 0, len(s)+2)
	r = append(r, 0)
	r = append(r, []rune(s)...)
	r = append(r, 0)
	if len(r) < 3 {
		return nil
	}
	out := make([]uint64, 0, len(r)-2)
	for i := 0; i+2 < len(r); i++ {
		out = append(out, uint64(r[i])<<42|uint64(r[i+1])<<21|uint64(r[i+2]))
	}
	sort.Slice(out, func(i, j int) bool { return out[i] < out[j] })
	n := 0
	for i, v := range out {
		if i == 0 || v != out[n-1] {
			out[n] = v
			n++
		}
	}
	return out[:n]
}

// dice is the Sørensen-Dice coefficient of two sorted trigram sets: character
// similarity that does not care where in the name the shared letters are.
func dice(a, b []uint64) float64 {
	if len(a) == 0 || len(b) == 0 {
		return 0
	}
	common, i, j := 0, 0, 0
	for i < len(a) && j < len(b) {
		switch {
		case a[i] == b[j]:
			common++
			i++
			j++
		case a[i] < b[j]:
			i++
		default:
			j++
		}
	}
	return 2 * float64(common) / float64(len(a)+len(b))
}
