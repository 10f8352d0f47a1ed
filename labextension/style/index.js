import './base.css';
import './snapshots.css';
