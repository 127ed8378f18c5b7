"""Placeholder of the open monitoring script package (design14 §1), owned by the script engineers: it exists so
the backend's code asset has something to stage. Replace it with the real package."""
