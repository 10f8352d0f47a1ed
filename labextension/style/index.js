import './base.css';
import './results.css';
